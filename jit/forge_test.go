package jit_test

// Helpers that take a genuine response from the test IdP apart and put it back together, signed
// by whichever key an attack needs, with goxmldsig the way an IdP signs.

import (
	"crypto/tls"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/rosterhq/roster/internal/testidp"
)

const (
	nsSAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsSAML  = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsDSig  = "http://www.w3.org/2000/09/xmldsig#"
)

// parsed is a response under surgery.
type parsed struct {
	tb  testing.TB
	doc *etree.Document
}

func parseResponse(tb testing.TB, raw []byte) *parsed {
	tb.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		tb.Fatal(err)
	}
	if doc.Root() == nil || doc.Root().Tag != "Response" {
		tb.Fatalf("not a Response:\n%s", raw)
	}
	return &parsed{tb: tb, doc: doc}
}

func (p *parsed) response() *etree.Element { return p.doc.Root() }

// assertions are the Response's Assertion children.
func (p *parsed) assertions() []*etree.Element {
	var out []*etree.Element
	for _, c := range p.response().ChildElements() {
		if c.Tag == "Assertion" {
			out = append(out, c)
		}
	}
	return out
}

func (p *parsed) assertion() *etree.Element {
	as := p.assertions()
	if len(as) != 1 {
		p.tb.Fatalf("want one plaintext Assertion, have %d (is the IdP encrypting?)", len(as))
	}
	return as[0]
}

// find returns the first descendant of el with the tag (local name).
func find(tb testing.TB, el *etree.Element, tag string) *etree.Element {
	tb.Helper()
	if el.Tag == tag {
		return el
	}
	var walk func(e *etree.Element) *etree.Element
	walk = func(e *etree.Element) *etree.Element {
		for _, c := range e.ChildElements() {
			if c.Tag == tag {
				return c
			}
			if f := walk(c); f != nil {
				return f
			}
		}
		return nil
	}
	f := walk(el)
	if f == nil {
		tb.Fatalf("no <%s> in <%s>", tag, el.Tag)
	}
	return f
}

// attributeValue returns the AttributeValue element of the named attribute.
func (p *parsed) attributeValue(name string) *etree.Element {
	for _, a := range p.assertion().FindElements(".//Attribute") {
		if a.SelectAttrValue("Name", "") == name {
			for _, v := range a.ChildElements() {
				if v.Tag == "AttributeValue" {
					return v
				}
			}
		}
	}
	p.tb.Fatalf("no attribute %q", name)
	return nil
}

// removeSignature drops the Signature child of el, if any.
func removeSignature(el *etree.Element) {
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == nsDSig {
			el.RemoveChild(c)
		}
	}
}

// unsign removes every signature, of the response and of its assertions.
func (p *parsed) unsign() *parsed {
	removeSignature(p.response())
	for _, a := range p.assertions() {
		removeSignature(a)
	}
	return p
}

// sign puts an enveloped signature by kp on el, right after its Issuer as the schema wants.
func sign(tb testing.TB, el *etree.Element, kp testidp.KeyPair) {
	tb.Helper()
	removeSignature(el)
	ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(tls.Certificate{
		Certificate: [][]byte{kp.Cert.Raw}, PrivateKey: kp.Key, Leaf: kp.Cert,
	}))
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		tb.Fatal(err)
	}
	// Sign a detached copy that carries the namespaces in scope, so that the digest is the one
	// a verifier computes for the element inside the document.
	signed, err := ctx.SignEnveloped(detached(el))
	if err != nil {
		tb.Fatal(err)
	}
	sig := signed.ChildElements()[len(signed.ChildElements())-1]
	at := 0
	for i, c := range el.Child {
		if ce, ok := c.(*etree.Element); ok && ce.Tag == "Issuer" {
			at = i + 1
		}
	}
	el.InsertChildAt(at, sig.Copy())
}

// detached copies el with the namespace declarations it inherits from its ancestors.
func detached(el *etree.Element) *etree.Element {
	cp := el.Copy()
	declared := map[string]bool{}
	for _, a := range cp.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			declared[a.Key] = true
		}
	}
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			if a.Space == "xmlns" && !declared[a.Key] {
				cp.CreateAttr("xmlns:"+a.Key, a.Value)
				declared[a.Key] = true
			}
		}
	}
	return cp
}

// signAll signs the assertion and then the response with kp, as the test IdP does.
func (p *parsed) signAll(kp testidp.KeyPair) *parsed {
	sign(p.tb, p.assertion(), kp)
	sign(p.tb, p.response(), kp)
	return p
}

func (p *parsed) bytes() []byte {
	p.tb.Helper()
	b, err := p.doc.WriteToBytes()
	if err != nil {
		p.tb.Fatal(err)
	}
	return b
}
