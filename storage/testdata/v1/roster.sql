--
-- PostgreSQL database dump
--

\restrict 8sUdvnIbaMIR7ymDhgZ4snyxrtViZEvXzgygaIRTDuULZ3O1qe3wfjsNmd92cbs

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: event_seq; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.event_seq (
    singleton boolean DEFAULT true NOT NULL,
    seq bigint NOT NULL,
    CONSTRAINT event_seq_singleton_check CHECK (singleton)
);


--
-- Name: events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events (
    seq bigint NOT NULL,
    "time" timestamp with time zone NOT NULL,
    type text NOT NULL,
    doc jsonb NOT NULL
);


--
-- Name: group_members; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.group_members (
    group_id text NOT NULL COLLATE pg_catalog."C",
    user_id text NOT NULL COLLATE pg_catalog."C",
    pos integer NOT NULL
);


--
-- Name: groups; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.groups (
    id text NOT NULL COLLATE pg_catalog."C",
    idp text NOT NULL COLLATE pg_catalog."C",
    display_name_folded text NOT NULL COLLATE pg_catalog."C",
    doc jsonb NOT NULL
);


--
-- Name: idps; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.idps (
    id text NOT NULL COLLATE pg_catalog."C",
    doc jsonb NOT NULL
);


--
-- Name: kv; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.kv (
    ns text NOT NULL COLLATE pg_catalog."C",
    key text NOT NULL COLLATE pg_catalog."C",
    value bytea NOT NULL,
    expires_unix_ns bigint
);


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tokens (
    id text NOT NULL COLLATE pg_catalog."C",
    kind text NOT NULL COLLATE pg_catalog."C",
    idp text NOT NULL COLLATE pg_catalog."C",
    hash bytea NOT NULL,
    doc jsonb NOT NULL
);


--
-- Name: tombstones; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tombstones (
    idp text NOT NULL COLLATE pg_catalog."C",
    unique_user_id text NOT NULL COLLATE pg_catalog."C",
    doc jsonb NOT NULL
);


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id text NOT NULL COLLATE pg_catalog."C",
    user_name_folded text NOT NULL COLLATE pg_catalog."C",
    idp text NOT NULL COLLATE pg_catalog."C",
    unique_user_id text COLLATE pg_catalog."C",
    external_id text COLLATE pg_catalog."C",
    emails text[] NOT NULL COLLATE pg_catalog."C",
    doc jsonb NOT NULL
);


--
-- Data for Name: event_seq; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.event_seq (singleton, seq) FROM stdin;
t	17
\.


--
-- Data for Name: events; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events (seq, "time", type, doc) FROM stdin;
1	2026-11-30 09:18:54.380072+00	token.created	{"id": "456c9c05-a8fb-423d-b76e-77abbaf33447", "seq": 1, "time": "2026-11-30T09:18:54.38007209Z", "type": "token.created", "actor": "system", "reason": "admin token \\"bootstrap (--admin-token)\\" created", "subject": "cd8f223342114806"}
2	2026-11-30 09:18:56.540897+00	idp.created	{"id": "3fe56bf4-fcca-4d2b-9734-a4691d2681e7", "idp": "entra", "seq": 2, "time": "2026-11-30T09:18:56.540897407Z", "type": "idp.created", "actor": "admin:cd8f223342114806", "reason": "saml IdP created in mode both", "subject": "entra"}
3	2026-11-30 09:18:56.554384+00	idp.created	{"id": "27e22b41-0edf-4621-8b6f-111c0259eda8", "idp": "okta", "seq": 3, "time": "2026-11-30T09:18:56.554384046Z", "type": "idp.created", "actor": "admin:cd8f223342114806", "reason": "saml IdP created in mode scim", "subject": "okta"}
4	2026-11-30 09:18:56.77573+00	token.created	{"id": "fb9ec1e5-cbb8-4e3a-9c80-b31f6de61fb7", "idp": "entra", "seq": 4, "time": "2026-11-30T09:18:56.775730371Z", "type": "token.created", "actor": "admin:cd8f223342114806", "reason": "scim token \\"\\" created", "subject": "43d5a0f348534cff"}
5	2026-11-30 09:18:56.913456+00	token.created	{"id": "b7f0b568-8a7f-46b6-b481-ce36321d79ff", "idp": "okta", "seq": 5, "time": "2026-11-30T09:18:56.913456096Z", "type": "token.created", "actor": "admin:cd8f223342114806", "reason": "scim token \\"\\" created", "subject": "3993e91f0e254953"}
6	2026-11-30 09:18:57.060582+00	user.created	{"id": "e998f723-4552-45e5-8f23-beb0e13feeee", "idp": "entra", "seq": 6, "rule": "R1", "time": "2026-11-30T09:18:57.060582679Z", "type": "user.created", "user": {"id": "482b2a2f-9d98-43b7-b627-577d13cfe20b", "idp": "entra", "meta": {"created": "2026-11-30T09:18:57.060541698Z", "version": 1, "lastModified": "2026-11-30T09:18:57.060541698Z"}, "name": {"givenName": "Ada", "familyName": "Lovelace"}, "owner": "scim", "active": true, "emails": [{"type": "work", "value": "ada@example.com", "primary": true}], "userName": "ada@example.com", "enterprise": {}, "externalId": "0f1e-ada", "lastLoginAt": "0001-01-01T00:00:00Z", "uniqueUserId": "0f1e-ada", "sessionsValidAfter": "0001-01-01T00:00:00Z"}, "actor": "scim:43d5a0f348534cff", "reason": "SCIM created the user", "changes": ["userName"], "subject": "482b2a2f-9d98-43b7-b627-577d13cfe20b"}
7	2026-11-30 09:18:57.186998+00	user.created	{"id": "d5e99732-d4b8-490d-a8d7-a0530975c8d1", "idp": "entra", "seq": 7, "rule": "R1", "time": "2026-11-30T09:18:57.186998488Z", "type": "user.created", "user": {"id": "86decc3f-0d1e-4d1f-be0b-6528ef69ddde", "idp": "entra", "meta": {"created": "2026-11-30T09:18:57.186966694Z", "version": 1, "lastModified": "2026-11-30T09:18:57.186966694Z"}, "name": {"givenName": "Grace", "familyName": "Hopper"}, "owner": "scim", "active": true, "emails": [{"type": "work", "value": "grace@example.com", "primary": true}], "userName": "grace@example.com", "enterprise": {}, "externalId": "0f1e-grace", "lastLoginAt": "0001-01-01T00:00:00Z", "uniqueUserId": "0f1e-grace", "sessionsValidAfter": "0001-01-01T00:00:00Z"}, "actor": "scim:43d5a0f348534cff", "reason": "SCIM created the user", "changes": ["userName"], "subject": "86decc3f-0d1e-4d1f-be0b-6528ef69ddde"}
8	2026-11-30 09:18:57.322777+00	user.created	{"id": "458567e9-ac38-4b45-ad73-459e48e6d010", "idp": "entra", "seq": 8, "rule": "R1", "time": "2026-11-30T09:18:57.322777604Z", "type": "user.created", "user": {"id": "802a4892-fe44-4796-a120-fdbee9d9109b", "idp": "entra", "meta": {"created": "2026-11-30T09:18:57.322719463Z", "version": 1, "lastModified": "2026-11-30T09:18:57.322719463Z"}, "name": {"givenName": "Alan", "familyName": "Turing"}, "owner": "scim", "active": true, "emails": [{"type": "work", "value": "alan@example.com", "primary": true}], "userName": "alan@example.com", "enterprise": {}, "externalId": "0f1e-alan", "lastLoginAt": "0001-01-01T00:00:00Z", "uniqueUserId": "0f1e-alan", "sessionsValidAfter": "0001-01-01T00:00:00Z"}, "actor": "scim:43d5a0f348534cff", "reason": "SCIM created the user", "changes": ["userName"], "subject": "802a4892-fe44-4796-a120-fdbee9d9109b"}
9	2026-11-30 09:18:57.439266+00	user.created	{"id": "83654dcf-64e9-4ebb-b31e-bd596e5eb24c", "idp": "okta", "seq": 9, "rule": "R1", "time": "2026-11-30T09:18:57.43926647Z", "type": "user.created", "user": {"id": "3058da8e-c0be-4cd9-b832-59d5f735f05e", "idp": "okta", "meta": {"created": "2026-11-30T09:18:57.439239804Z", "version": 1, "lastModified": "2026-11-30T09:18:57.439239804Z"}, "name": {"givenName": "Edsger", "familyName": "Dijkstra"}, "owner": "scim", "active": true, "emails": [{"type": "work", "value": "edsger@example.org", "primary": true}], "userName": "edsger@example.org", "enterprise": {}, "externalId": "00u-edsger", "lastLoginAt": "0001-01-01T00:00:00Z", "uniqueUserId": "edsger@example.org", "sessionsValidAfter": "0001-01-01T00:00:00Z"}, "actor": "scim:3993e91f0e254953", "reason": "SCIM created the user", "changes": ["userName"], "subject": "3058da8e-c0be-4cd9-b832-59d5f735f05e"}
10	2026-11-30 09:18:57.559688+00	user.created	{"id": "e611c55c-7a79-4e2b-81ec-8c06214fc624", "idp": "okta", "seq": 10, "rule": "R1", "time": "2026-11-30T09:18:57.559688502Z", "type": "user.created", "user": {"id": "eef6e6b7-0125-4dd3-aeae-39ae6fca3f26", "idp": "okta", "meta": {"created": "2026-11-30T09:18:57.559645908Z", "version": 1, "lastModified": "2026-11-30T09:18:57.559645908Z"}, "name": {"givenName": "Barbara", "familyName": "Liskov"}, "owner": "scim", "active": true, "emails": [{"type": "work", "value": "barbara@example.org", "primary": true}], "userName": "barbara@example.org", "enterprise": {}, "externalId": "00u-barbara", "lastLoginAt": "0001-01-01T00:00:00Z", "uniqueUserId": "barbara@example.org", "sessionsValidAfter": "0001-01-01T00:00:00Z"}, "actor": "scim:3993e91f0e254953", "reason": "SCIM created the user", "changes": ["userName"], "subject": "eef6e6b7-0125-4dd3-aeae-39ae6fca3f26"}
11	2026-11-30 09:18:57.714791+00	user.deactivated	{"id": "f20c5529-936e-404e-92eb-90380ff3ffbf", "idp": "entra", "seq": 11, "rule": "R6", "time": "2026-11-30T09:18:57.7147916Z", "type": "user.deactivated", "user": {"id": "86decc3f-0d1e-4d1f-be0b-6528ef69ddde", "idp": "entra", "meta": {"created": "2026-11-30T09:18:57.186966694Z", "version": 2, "lastModified": "2026-11-30T09:18:57.714723868Z"}, "name": {"givenName": "Grace", "familyName": "Hopper"}, "owner": "scim", "active": false, "emails": [{"type": "work", "value": "grace@example.com", "primary": true}], "userName": "grace@example.com", "enterprise": {}, "externalId": "0f1e-grace", "lastLoginAt": "0001-01-01T00:00:00Z", "uniqueUserId": "0f1e-grace", "sessionsValidAfter": "2026-11-30T09:18:57.714723711Z"}, "actor": "scim:43d5a0f348534cff", "reason": "SCIM deactivated the user; its sessions end and logins are refused", "changes": ["active"], "subject": "86decc3f-0d1e-4d1f-be0b-6528ef69ddde"}
12	2026-11-30 09:18:57.726258+00	user.deleted	{"id": "f4341227-cfde-49b9-bf96-bd02f22d6d0a", "idp": "entra", "seq": 12, "rule": "R6", "time": "2026-11-30T09:18:57.726258015Z", "type": "user.deleted", "actor": "scim:43d5a0f348534cff", "reason": "SCIM deleted the user; its sessions end and its key is tombstoned", "subject": "802a4892-fe44-4796-a120-fdbee9d9109b"}
13	2026-11-30 09:18:57.737603+00	group.created	{"id": "bac45c01-c5e1-4a01-8f1b-229858731f95", "idp": "entra", "seq": 13, "time": "2026-11-30T09:18:57.737603546Z", "type": "group.created", "actor": "scim:43d5a0f348534cff", "group": {"id": "dc8541f6-bdfc-4ac1-bcae-33ba5df867ce", "idp": "entra", "meta": {"created": "2026-11-30T09:18:57.737571203Z", "version": 1, "lastModified": "2026-11-30T09:18:57.737571203Z"}, "owner": "scim", "members": ["482b2a2f-9d98-43b7-b627-577d13cfe20b", "86decc3f-0d1e-4d1f-be0b-6528ef69ddde"], "externalId": "g-eng", "displayName": "Engineering"}, "changes": ["displayName", "members"], "subject": "dc8541f6-bdfc-4ac1-bcae-33ba5df867ce"}
14	2026-11-30 09:18:57.748412+00	group.created	{"id": "9c0ad9a1-8dad-4eab-8130-c6b4243418e5", "idp": "okta", "seq": 14, "time": "2026-11-30T09:18:57.748412427Z", "type": "group.created", "actor": "scim:3993e91f0e254953", "group": {"id": "0d908256-5a7d-48e1-8663-2766c07ed12c", "idp": "okta", "meta": {"created": "2026-11-30T09:18:57.748372396Z", "version": 1, "lastModified": "2026-11-30T09:18:57.748372396Z"}, "owner": "scim", "members": ["3058da8e-c0be-4cd9-b832-59d5f735f05e"], "displayName": "Research"}, "changes": ["displayName", "members"], "subject": "0d908256-5a7d-48e1-8663-2766c07ed12c"}
15	2026-11-30 09:18:57.760696+00	token.created	{"id": "d032399a-0c33-4b92-b629-a19a1f5b3e54", "idp": "okta", "seq": 15, "time": "2026-11-30T09:18:57.760696365Z", "type": "token.created", "actor": "admin:cd8f223342114806", "reason": "scim token \\"\\" created", "subject": "ca321e2c290d45cb"}
16	2026-11-30 09:18:57.905599+00	token.revoked	{"id": "c79901d6-94a9-4b89-a12d-94654a15f618", "idp": "okta", "seq": 16, "time": "2026-11-30T09:18:57.905599079Z", "type": "token.revoked", "actor": "admin:cd8f223342114806", "reason": "scim token \\"\\" revoked", "subject": "ca321e2c290d45cb"}
17	2026-11-30 09:18:57.913661+00	user.deactivated	{"id": "d993b2c2-c3f8-4d24-bbb0-b23330933805", "idp": "okta", "seq": 17, "rule": "R6", "time": "2026-11-30T09:18:57.913661947Z", "type": "user.deactivated", "user": {"id": "eef6e6b7-0125-4dd3-aeae-39ae6fca3f26", "idp": "okta", "meta": {"created": "2026-11-30T09:18:57.559645908Z", "version": 2, "lastModified": "2026-11-30T09:18:57.913597902Z"}, "name": {"givenName": "Barbara", "familyName": "Liskov"}, "owner": "scim", "active": false, "emails": [{"type": "work", "value": "barbara@example.org", "primary": true}], "userName": "barbara@example.org", "enterprise": {}, "externalId": "00u-barbara", "lastLoginAt": "0001-01-01T00:00:00Z", "uniqueUserId": "barbara@example.org", "sessionsValidAfter": "2026-11-30T09:18:57.91359782Z"}, "actor": "admin:cd8f223342114806", "reason": "an administrator deactivated the user; its sessions end", "changes": ["active"], "subject": "eef6e6b7-0125-4dd3-aeae-39ae6fca3f26"}
\.


--
-- Data for Name: group_members; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.group_members (group_id, user_id, pos) FROM stdin;
0d908256-5a7d-48e1-8663-2766c07ed12c	3058da8e-c0be-4cd9-b832-59d5f735f05e	1
dc8541f6-bdfc-4ac1-bcae-33ba5df867ce	482b2a2f-9d98-43b7-b627-577d13cfe20b	1
dc8541f6-bdfc-4ac1-bcae-33ba5df867ce	86decc3f-0d1e-4d1f-be0b-6528ef69ddde	2
\.


--
-- Data for Name: groups; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.groups (id, idp, display_name_folded, doc) FROM stdin;
0d908256-5a7d-48e1-8663-2766c07ed12c	okta	research	{"id": "0d908256-5a7d-48e1-8663-2766c07ed12c", "idp": "okta", "meta": {"created": "2026-11-30T09:18:57.748372396Z", "version": 1, "lastModified": "2026-11-30T09:18:57.748372396Z"}, "owner": "scim", "members": null, "displayName": "Research"}
dc8541f6-bdfc-4ac1-bcae-33ba5df867ce	entra	engineering	{"id": "dc8541f6-bdfc-4ac1-bcae-33ba5df867ce", "idp": "entra", "meta": {"created": "2026-11-30T09:18:57.737571203Z", "version": 1, "lastModified": "2026-11-30T09:18:57.737571203Z"}, "owner": "scim", "members": null, "externalId": "g-eng", "displayName": "Engineering"}
\.


--
-- Data for Name: idps; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.idps (id, doc) FROM stdin;
entra	{"id": "entra", "mode": "both", "name": "Entra ID", "oidc": {}, "saml": {"metadata_xml": "<?xml version=\\"1.0\\"?>\\n<md:EntityDescriptor xmlns:md=\\"urn:oasis:names:tc:SAML:2.0:metadata\\" entityID=\\"https://idp.fixture.test/saml\\">\\n  <md:IDPSSODescriptor protocolSupportEnumeration=\\"urn:oasis:names:tc:SAML:2.0:protocol\\">\\n    <md:KeyDescriptor use=\\"signing\\"><ds:KeyInfo xmlns:ds=\\"http://www.w3.org/2000/09/xmldsig#\\"><ds:X509Data><ds:X509Certificate>MIIDDzCCAfegAwIBAgIUGa5/SUKm8/FskhKMcGeXw48dS7wwDQYJKoZIhvcNAQELBQAwFjEUMBIGA1UEAwwLZml4dHVyZS1pZHAwIBcNMjYxMTMwMDkxODQ1WhgPMjEyNjExMDYwOTE4NDVaMBYxFDASBgNVBAMMC2ZpeHR1cmUtaWRwMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsN/UXxtO2kZUd19U1VP6u4DYGP8amGo/7IfcAf+ujVaCmzj2I8ntEXKGGWNFxHxHrhZ9ux/ea2S6H3RFdrudYEzTG+TJd2GyD9nXB3oZvHF1zznTcyb7gBEIuak5D5NnfdeEEGHsu5W3/oobY1tSUxv7cBIBm4Y1Ywi3eEJQ5/a1/28kvlTwcCfqZOcITSg2tZSaxo2pjhUbChZl0pNfsOYs5oG9xKIcwAR/l9N5YrYJ4olW8fkNO8gQ6X89kL/0kYqDB4GN5v9XCXm9ixQDN2bVpYDgUNEcM3i0he8rZb0W2cOmiTyXWv1mqLjS1xbNxCFS4T3QbsoqhV+RxdGj5QIDAQABo1MwUTAdBgNVHQ4EFgQUDZ/IT4NqRrwfFgORAQ5QLU8C5D8wHwYDVR0jBBgwFoAUDZ/IT4NqRrwfFgORAQ5QLU8C5D8wDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAi7fsB6AOBlaCAHc6GRV0sSb43DtIwPP/xjb6EPHRsc7OLzKyotQSDACclZgr3rdSD2yLtXEy06zeWTmA5+0Dsc+KvxsTxeDnDo11kFjhVqVnLhLxGN1g2YqYXdO3Tidb8WOhFjINUjtfiG159okKxyRdYUIBxWVODOF4P02JNb40J7fDC7Q4z2VHf+/w0AD4Mj5WYmcrYuZwzyak86oprVlejUCiZfsgNq5UfUf/etYY/mAjg1RQLwEb0GnmUoCbDJIrlpEojaAZ7Bz5Z+96KcuvSXBE+grbwWJYDMrhrATr/zV3Ap6YBwaVA73IYH0d4KVGAjPgtYpTJ9f6dQySvA==</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\\n    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>\\n    <md:SingleSignOnService Binding=\\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\\" Location=\\"https://idp.fixture.test/sso\\"/>\\n  </md:IDPSSODescriptor>\\n</md:EntityDescriptor>\\n", "allow_idp_initiated": false}, "preset": "entra", "created": "2026-11-30T09:18:56.540805687Z", "mapping": {}, "updated": "2026-11-30T09:18:56.540805687Z", "protocol": "saml", "scim_match": "externalId", "link_policy": "none", "default_groups": [], "login_authoritative": []}
okta	{"id": "okta", "mode": "scim", "name": "Okta", "oidc": {}, "saml": {"metadata_xml": "<?xml version=\\"1.0\\"?>\\n<md:EntityDescriptor xmlns:md=\\"urn:oasis:names:tc:SAML:2.0:metadata\\" entityID=\\"https://idp.fixture.test/saml\\">\\n  <md:IDPSSODescriptor protocolSupportEnumeration=\\"urn:oasis:names:tc:SAML:2.0:protocol\\">\\n    <md:KeyDescriptor use=\\"signing\\"><ds:KeyInfo xmlns:ds=\\"http://www.w3.org/2000/09/xmldsig#\\"><ds:X509Data><ds:X509Certificate>MIIDDzCCAfegAwIBAgIUGa5/SUKm8/FskhKMcGeXw48dS7wwDQYJKoZIhvcNAQELBQAwFjEUMBIGA1UEAwwLZml4dHVyZS1pZHAwIBcNMjYxMTMwMDkxODQ1WhgPMjEyNjExMDYwOTE4NDVaMBYxFDASBgNVBAMMC2ZpeHR1cmUtaWRwMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsN/UXxtO2kZUd19U1VP6u4DYGP8amGo/7IfcAf+ujVaCmzj2I8ntEXKGGWNFxHxHrhZ9ux/ea2S6H3RFdrudYEzTG+TJd2GyD9nXB3oZvHF1zznTcyb7gBEIuak5D5NnfdeEEGHsu5W3/oobY1tSUxv7cBIBm4Y1Ywi3eEJQ5/a1/28kvlTwcCfqZOcITSg2tZSaxo2pjhUbChZl0pNfsOYs5oG9xKIcwAR/l9N5YrYJ4olW8fkNO8gQ6X89kL/0kYqDB4GN5v9XCXm9ixQDN2bVpYDgUNEcM3i0he8rZb0W2cOmiTyXWv1mqLjS1xbNxCFS4T3QbsoqhV+RxdGj5QIDAQABo1MwUTAdBgNVHQ4EFgQUDZ/IT4NqRrwfFgORAQ5QLU8C5D8wHwYDVR0jBBgwFoAUDZ/IT4NqRrwfFgORAQ5QLU8C5D8wDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAi7fsB6AOBlaCAHc6GRV0sSb43DtIwPP/xjb6EPHRsc7OLzKyotQSDACclZgr3rdSD2yLtXEy06zeWTmA5+0Dsc+KvxsTxeDnDo11kFjhVqVnLhLxGN1g2YqYXdO3Tidb8WOhFjINUjtfiG159okKxyRdYUIBxWVODOF4P02JNb40J7fDC7Q4z2VHf+/w0AD4Mj5WYmcrYuZwzyak86oprVlejUCiZfsgNq5UfUf/etYY/mAjg1RQLwEb0GnmUoCbDJIrlpEojaAZ7Bz5Z+96KcuvSXBE+grbwWJYDMrhrATr/zV3Ap6YBwaVA73IYH0d4KVGAjPgtYpTJ9f6dQySvA==</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\\n    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>\\n    <md:SingleSignOnService Binding=\\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\\" Location=\\"https://idp.fixture.test/sso\\"/>\\n  </md:IDPSSODescriptor>\\n</md:EntityDescriptor>\\n", "allow_idp_initiated": false}, "preset": "okta", "created": "2026-11-30T09:18:56.554325535Z", "mapping": {}, "updated": "2026-11-30T09:18:56.554325535Z", "protocol": "saml", "scim_match": "userName", "link_policy": "none", "default_groups": [], "login_authoritative": []}
\.


--
-- Data for Name: kv; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.kv (ns, key, value, expires_unix_ns) FROM stdin;
jit.saml	sp-keypair	\\x7b226b657950656d223a222d2d2d2d2d424547494e205253412050524956415445204b45592d2d2d2d2d5c6e4d4949456f77494241414b4341514541782b786d325a4139544c72545970344a3748626556415378327038392b61624e626136496d59524244676751766c65365c6e563876345a486670323762314557665365425933493130334744657447305863415266694a2f6f4a773558462b6b5665426e3138784a5070483054546d4263425c6e56767a70416d4868524d615a51346639616d5131387436796d464666743131524a74687079496c4f434e38554954305a43654970504e76685458445456302f6e5c6e5848727130496243434755397353734669554d4b55574f3741476171782b506e636e796a7532513234312f387337366f786b2b3663736f3830655a6c70682f6c5c6e6548366e5835756d716e776f4a756265704541354969375835386f724f70496676795a75456e503669647575784a3364514d5247654a466d44355a505a6a48455c6e2f62534d42575150413966734f64555571546e6252613664516861477934724e6d2f586f2b51494441514142416f49424141734774454e7969356230524e31505c6e42784157484476354346416338542b5948674e62475769534854356e586e6b4a414a754141654b55704836384c2f6232535772624773356d415468694e62646e5c6e326e4c712f4d756b704334337a2f50324b48486d4d4e2f736f6e4a5a69757637394e523133576f47755052676d6170615554557863724a4336776d776a7a31665c6e4e6138565233784b616c586436382f4c665671497353714d6d2f66333148626e514c46664a56355a4552484453415170704535455a344c6b5964762b5a4a45685c6e416b2b6630354b446b2f5530685049644d2b36786f4565697933716c43756d702b4b4c6263434b32466174595a36342b305945336d3861717232394c586e39375c6e796c474f4d4e706d6a59716b627961736c73496f374b304e30576e72566e712b46777239594131787654542b505579545845452b55613443627949364e634e725c6e5857654b2b354d43675945412b4d62334257644b476344493475634e6b4a6954686e6f3963612b6655505a6942384a5873346b55454e536d6b714152435967465c6e2f775846697673684e36774a37556c356e6f626a4f7033584b77525351706a31724470526466454953637a4e77763263623567646f3466564c53734e584e67595c6e4b4c38656d6e726d7449513534757466395934656e554b484948485a6662456548634b4c466c6b63397056497431345845695574312f3843675945417a6270555c6e33386e746362723376663775672f4e42583953336f66573949774a3145597335337a72695269772b3570745070622b7166714268646d47466d5672786b6e746c5c6e616a4559354c4363722f5637752b38435561354f6c783572667a4b77362b6e7563555569654e5a6744667775773564366c78695a64307849724542456b4164565c6e527a74746f5467386478736d34316246624d694b6777686c4f3635666950747031454a792f77634367594278306f3634775335744a4143466d464e6a676675565c6e6670355951704d7739746d5a56546a4e4976323053616441314d325776383647685079422f79364f697a387265762b54495949626b7059637a3268586f695a645c6e4f33324436646a7838797439654932336e54434b58703652674f346e4f5a4f734b4f31326e7036706e776e6849664951706f71705277514f4f796a59556b35475c6e4c586c337179514f536655774f484e7a304f447476774b4267454a4e4638646271334e6f76796a7a504f6b336630306b4839354a645341515461784f77324c6d5c6e396a2b4a534f68484333387561774d4f4b76726336524b4956617851716c6c7a34304c6f6a456246425a43477361656a566c36726868646a50644e352b38647a5c6e6357326949536a41716b324d7877786b2b4369545a43526e506646772b35484f584547462f79366669495068316852392b4f334c796478584553447a62614c6a5c6e6d323448416f4742414d673246394f66313672687037636a74456f2f7179366d7a7052397553754a7972736b6c7043466a393877315433534c58456a6257364f5c6e49676544445a4a7178314a594e7a52365265446c63535a634252386f5a75323130796e616c6846736d6748575736645a47346e5859393164797130434d4575305c6e41627065334a664e5670736b31444f787a4178776f6f614865726e59675635686e5676562f76556e4e755065366c7542497938645c6e2d2d2d2d2d454e44205253412050524956415445204b45592d2d2d2d2d5c6e222c226365727450656d223a222d2d2d2d2d424547494e2043455254494649434154452d2d2d2d2d5c6e4d494944436a434341664b674177494241674951414d702b5938576644772b62776239626a683052537a414e42676b71686b69473977304241517346414441775c6e4d5334774c415944565151444579565362334e305a5849675530464e544342545543426f644852774f6938764d5449334c6a41754d4334784f6a45344d4467775c6e4d423458445449324d54457a4d4441344d5467314e6c6f58445451324d54457a4d4441354d5467314e6c6f774d4445754d4377474131554541784d6c556d397a5c6e6447567949464e4254557767553141676148523063446f764c7a45794e7934774c6a41754d546f784f4441344d444343415349774451594a4b6f5a496876634e5c6e4151454242514144676745504144434341516f4367674542414d66735a746d515055793630324b6543657832336c51457364716650666d6d7a573275694a6d455c6e51513449454c3558756c664c2b475233366475323952466e306e67574e794e644e78673372527446334145583469663643634f567866704658675a39664d53545c6e36523945303567584156623836514a68345554476d554f482f57706b4e664c657370685258376464555362596163694a54676a664643453947516e694b547a625c6e345531773031645035317836367443477767686c5062457242596c44436c466a7577426d7173666a35334a386f37746b4e754e662f4c4f2b714d5a50756e4c4b5c6e504e486d5a6159663558682b70312b62707170384b43626d337152414f534975312b664b4b7a71534837386d62684a7a2b6f6e627273536433554445526e69525c6e5a672b5754325978785032306a41566b4477505837446e56464b6b35323057756e5549576873754b7a5a763136506b434177454141614d674d423477446759445c6e565230504151482f42415144416757674d41774741315564457745422f7751434d4141774451594a4b6f5a496876634e4151454c4251414467674542414d66645c6e63707250716775576b4c56515530366e5736387754383378757075315151504a344730337167764a67712f3341476d7055663330436f45695564313952636d515c6e626839734e684c4c7136592b3443506f554b4c6a4169344d4b30667345526f434c78796271553570326b6d6d69525965434c7448347753495646697038634b715c6e6a694e314656796f447647395175705364647a37427158696a545135556e7a7a592f51435974557458556a4c7975594b5a6e70525034774f66664236616831555c6e3977634f7377533574633457796574596643724b68694d4a392f62655336575a6e694e414d74695a417333346d627a4273326d597352546e59705a646d6e37625c6e482f6d6868747030316a5a43684c4a325548386b50676e784b796c53494a4e59497678392f586f5a586f6a51684d625568775773393137317565455a463550425c6e32536c6b4d6b4e785841363472786875422f773d5c6e2d2d2d2d2d454e442043455254494649434154452d2d2d2d2d5c6e227d	\N
webhook	04f71e8d-69e2-4033-964a-669a8a410faf	\\x7b226964223a2230346637316538642d363965322d343033332d393634612d363639613861343130666166222c2275726c223a22687474703a2f2f3132372e302e302e313a392f686f6f6b222c22736563726574223a2277687365635f4470425477525244627a785955762f6d7a417236746f554f64563430444e4e5a3238646a426a5038784f553d222c226576656e745f7479706573223a5b5d2c2263726561746564223a22323032362d31312d33305430393a31383a35372e3932333534363831385a227d	\N
webhook.state	04f71e8d-69e2-4033-964a-669a8a410faf	\\x7b22637572736f72223a31372c22737461747573223a22616374697665222c226661696c75726573223a302c226c6173745f617474656d7074223a22303030312d30312d30315430303a30303a30305a222c2267656e65726174696f6e223a307d	\N
\.


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.schema_migrations (version, name, applied_at) FROM stdin;
1	0001_init.sql	2026-11-30 09:19:01.779131+00
\.


--
-- Data for Name: tokens; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.tokens (id, kind, idp, hash, doc) FROM stdin;
3993e91f0e254953	scim	okta	\\x5fc02a3bc560fda72ad1a105e176652f88eb13dfa2be07773f4094fa4f216938	{"id": "3993e91f0e254953", "idp": "okta", "hash": "X8AqO8Vg/acq0aEF4XZlL4jrE9+ivgd3P0CU+k8haTg=", "kind": "scim", "created": "2026-11-30T09:18:56.913369683Z", "expiresAt": "0001-01-01T00:00:00Z", "revokedAt": "0001-01-01T00:00:00Z", "lastUsedAt": "2026-11-30T09:18:57.438302079Z"}
43d5a0f348534cff	scim	entra	\\x4d53092759a0f77e4439b3273f56162dd9f3864394d5a4e40b787372da3c9670	{"id": "43d5a0f348534cff", "idp": "entra", "hash": "TVMJJ1mg935EObMnP1YWLdnzhkOU1aTkC3hzcto8lnA=", "kind": "scim", "created": "2026-11-30T09:18:56.775669617Z", "expiresAt": "0001-01-01T00:00:00Z", "revokedAt": "0001-01-01T00:00:00Z", "lastUsedAt": "2026-11-30T09:18:57.059089089Z"}
ca321e2c290d45cb	scim	okta	\\xfc084bb06a6ca91bf66b3eb422079dd32d8e50de6c8cd0b8642ffd90ac96d310	{"id": "ca321e2c290d45cb", "idp": "okta", "hash": "/AhLsGpsqRv2az60Iged0y2OUN5sjNC4ZC/9kKyW0xA=", "kind": "scim", "created": "2026-11-30T09:18:57.760080197Z", "expiresAt": "0001-01-01T00:00:00Z", "revokedAt": "2026-11-30T09:18:57.90556147Z", "lastUsedAt": "0001-01-01T00:00:00Z"}
cd8f223342114806	admin		\\x8d46c5e6c296d64b10ae45cd6409f307a7512054a30702aa57cd9c3e19277dc9	{"id": "cd8f223342114806", "hash": "jUbF5sKW1ksQrkXNZAnzB6dRIFSjBwKqV82cPhknfck=", "kind": "admin", "name": "bootstrap (--admin-token)", "created": "2026-11-30T09:18:54.379861998Z", "expiresAt": "0001-01-01T00:00:00Z", "revokedAt": "0001-01-01T00:00:00Z", "lastUsedAt": "2026-11-30T09:18:56.539371621Z"}
\.


--
-- Data for Name: tombstones; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.tombstones (idp, unique_user_id, doc) FROM stdin;
entra	0f1e-alan	{"idp": "entra", "actor": "scim:43d5a0f348534cff", "userId": "802a4892-fe44-4796-a120-fdbee9d9109b", "userName": "alan@example.com", "deletedAt": "2026-11-30T09:18:57.726209154Z", "uniqueUserId": "0f1e-alan"}
\.


--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.users (id, user_name_folded, idp, unique_user_id, external_id, emails, doc) FROM stdin;
3058da8e-c0be-4cd9-b832-59d5f735f05e	edsger@example.org	okta	edsger@example.org	00u-edsger	{edsger@example.org}	{"id": "3058da8e-c0be-4cd9-b832-59d5f735f05e", "idp": "okta", "meta": {"created": "2026-11-30T09:18:57.439239804Z", "version": 1, "lastModified": "2026-11-30T09:18:57.439239804Z"}, "name": {"givenName": "Edsger", "familyName": "Dijkstra"}, "owner": "scim", "active": true, "emails": [{"type": "work", "value": "edsger@example.org", "primary": true}], "userName": "edsger@example.org", "enterprise": {}, "externalId": "00u-edsger", "lastLoginAt": "0001-01-01T00:00:00Z", "uniqueUserId": "edsger@example.org", "sessionsValidAfter": "0001-01-01T00:00:00Z"}
482b2a2f-9d98-43b7-b627-577d13cfe20b	ada@example.com	entra	0f1e-ada	0f1e-ada	{ada@example.com}	{"id": "482b2a2f-9d98-43b7-b627-577d13cfe20b", "idp": "entra", "meta": {"created": "2026-11-30T09:18:57.060541698Z", "version": 1, "lastModified": "2026-11-30T09:18:57.060541698Z"}, "name": {"givenName": "Ada", "familyName": "Lovelace"}, "owner": "scim", "active": true, "emails": [{"type": "work", "value": "ada@example.com", "primary": true}], "userName": "ada@example.com", "enterprise": {}, "externalId": "0f1e-ada", "lastLoginAt": "0001-01-01T00:00:00Z", "uniqueUserId": "0f1e-ada", "sessionsValidAfter": "0001-01-01T00:00:00Z"}
86decc3f-0d1e-4d1f-be0b-6528ef69ddde	grace@example.com	entra	0f1e-grace	0f1e-grace	{grace@example.com}	{"id": "86decc3f-0d1e-4d1f-be0b-6528ef69ddde", "idp": "entra", "meta": {"created": "2026-11-30T09:18:57.186966694Z", "version": 2, "lastModified": "2026-11-30T09:18:57.714723868Z"}, "name": {"givenName": "Grace", "familyName": "Hopper"}, "owner": "scim", "active": false, "emails": [{"type": "work", "value": "grace@example.com", "primary": true}], "userName": "grace@example.com", "enterprise": {}, "externalId": "0f1e-grace", "lastLoginAt": "0001-01-01T00:00:00Z", "uniqueUserId": "0f1e-grace", "sessionsValidAfter": "2026-11-30T09:18:57.714723711Z"}
eef6e6b7-0125-4dd3-aeae-39ae6fca3f26	barbara@example.org	okta	barbara@example.org	00u-barbara	{barbara@example.org}	{"id": "eef6e6b7-0125-4dd3-aeae-39ae6fca3f26", "idp": "okta", "meta": {"created": "2026-11-30T09:18:57.559645908Z", "version": 2, "lastModified": "2026-11-30T09:18:57.913597902Z"}, "name": {"givenName": "Barbara", "familyName": "Liskov"}, "owner": "scim", "active": false, "emails": [{"type": "work", "value": "barbara@example.org", "primary": true}], "userName": "barbara@example.org", "enterprise": {}, "externalId": "00u-barbara", "lastLoginAt": "0001-01-01T00:00:00Z", "uniqueUserId": "barbara@example.org", "sessionsValidAfter": "2026-11-30T09:18:57.91359782Z"}
\.


--
-- Name: event_seq event_seq_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.event_seq
    ADD CONSTRAINT event_seq_pkey PRIMARY KEY (singleton);


--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (seq);


--
-- Name: group_members group_members_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.group_members
    ADD CONSTRAINT group_members_pkey PRIMARY KEY (group_id, user_id);


--
-- Name: groups groups_display_name_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.groups
    ADD CONSTRAINT groups_display_name_key UNIQUE (idp, display_name_folded);


--
-- Name: groups groups_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.groups
    ADD CONSTRAINT groups_pkey PRIMARY KEY (id);


--
-- Name: idps idps_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.idps
    ADD CONSTRAINT idps_pkey PRIMARY KEY (id);


--
-- Name: kv kv_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.kv
    ADD CONSTRAINT kv_pkey PRIMARY KEY (ns, key);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: tokens tokens_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tokens
    ADD CONSTRAINT tokens_hash_key UNIQUE (hash);


--
-- Name: tokens tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tokens
    ADD CONSTRAINT tokens_pkey PRIMARY KEY (id);


--
-- Name: tombstones tombstones_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tombstones
    ADD CONSTRAINT tombstones_pkey PRIMARY KEY (idp, unique_user_id);


--
-- Name: users users_identity_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_identity_key UNIQUE (idp, unique_user_id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: users users_user_name_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_user_name_key UNIQUE (user_name_folded);


--
-- Name: group_members_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX group_members_user ON public.group_members USING btree (user_id, group_id);


--
-- Name: groups_idp_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX groups_idp_id ON public.groups USING btree (idp, id);


--
-- Name: kv_expiry; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX kv_expiry ON public.kv USING btree (expires_unix_ns) WHERE (expires_unix_ns IS NOT NULL);


--
-- Name: tokens_kind_idp; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX tokens_kind_idp ON public.tokens USING btree (kind, idp, id);


--
-- Name: users_emails; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX users_emails ON public.users USING gin (emails);


--
-- Name: users_external_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX users_external_id ON public.users USING btree (idp, external_id) WHERE (external_id IS NOT NULL);


--
-- Name: users_idp_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX users_idp_id ON public.users USING btree (idp, id);


--
-- Name: group_members group_members_group_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.group_members
    ADD CONSTRAINT group_members_group_id_fkey FOREIGN KEY (group_id) REFERENCES public.groups(id) ON DELETE CASCADE;


--
-- Name: group_members group_members_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.group_members
    ADD CONSTRAINT group_members_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--

\unrestrict 8sUdvnIbaMIR7ymDhgZ4snyxrtViZEvXzgygaIRTDuULZ3O1qe3wfjsNmd92cbs

