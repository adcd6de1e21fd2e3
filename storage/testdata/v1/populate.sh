#!/usr/bin/env bash
# Fills a running v1 Roster (at $B with admin token $T) with a small data set covering every kind of record.
set -euo pipefail
B=${B:-http://127.0.0.1:18080}; T=${T:?}
A=(-s -f -H "Authorization: Bearer $T" -H "Content-Type: application/json")
META=$(python3 -c 'import json,sys;print(json.dumps(open("idp-metadata.xml").read()))')
curl "${A[@]}" -X POST $B/admin/api/v1/idps -d "{\"id\":\"entra\",\"name\":\"Entra ID\",\"protocol\":\"saml\",\"mode\":\"both\",\"preset\":\"entra\",\"saml\":{\"metadata_xml\":$META}}" >/dev/null
curl "${A[@]}" -X POST $B/admin/api/v1/idps -d "{\"id\":\"okta\",\"name\":\"Okta\",\"protocol\":\"saml\",\"mode\":\"scim\",\"preset\":\"okta\",\"scim_match\":\"userName\",\"saml\":{\"metadata_xml\":$META}}" >/dev/null
curl -s -f $B/sso/entra/saml/metadata >/dev/null   # makes the SP key pair
ET=$(curl "${A[@]}" -X POST $B/admin/api/v1/idps/entra/scim-tokens -d '{}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
OT=$(curl "${A[@]}" -X POST $B/admin/api/v1/idps/okta/scim-tokens -d '{}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
S=(-s -f -H "Content-Type: application/scim+json")
mk() { # token userName externalId given family
  curl "${S[@]}" -H "Authorization: Bearer $1" -X POST $B/scim/v2/Users -d "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"$2\",\"externalId\":\"$3\",\"active\":true,\"name\":{\"givenName\":\"$4\",\"familyName\":\"$5\"},\"emails\":[{\"value\":\"$2\",\"type\":\"work\",\"primary\":true}]}" | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])'
}
U1=$(mk $ET ada@example.com 0f1e-ada Ada Lovelace)
U2=$(mk $ET grace@example.com 0f1e-grace Grace Hopper)
U3=$(mk $ET alan@example.com 0f1e-alan Alan Turing)
U4=$(mk $OT edsger@example.org 00u-edsger Edsger Dijkstra)
U5=$(mk $OT barbara@example.org 00u-barbara Barbara Liskov)
# deactivate one, delete one (tombstone)
curl "${S[@]}" -H "Authorization: Bearer $ET" -X PATCH $B/scim/v2/Users/$U2 -d '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}' >/dev/null
curl -s -f -H "Authorization: Bearer $ET" -X DELETE $B/scim/v2/Users/$U3 >/dev/null
# a group with members, per IdP
curl "${S[@]}" -H "Authorization: Bearer $ET" -X POST $B/scim/v2/Groups -d "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],\"displayName\":\"Engineering\",\"externalId\":\"g-eng\",\"members\":[{\"value\":\"$U1\"},{\"value\":\"$U2\"}]}" >/dev/null
curl "${S[@]}" -H "Authorization: Bearer $OT" -X POST $B/scim/v2/Groups -d "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],\"displayName\":\"Research\",\"members\":[{\"value\":\"$U4\"}]}" >/dev/null
# an extra SCIM token, revoked
RT=$(curl "${A[@]}" -X POST $B/admin/api/v1/idps/okta/scim-tokens -d '{}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
curl "${A[@]}" -X DELETE $B/admin/api/v1/scim-tokens/$RT >/dev/null || true
# an admin deactivation
curl "${A[@]}" -X POST $B/admin/api/v1/users/$U5/deactivate -d '{}' >/dev/null
# a webhook (its URL is only stored; the fixture's server is stopped before any delivery matters)
curl "${A[@]}" -X POST $B/admin/api/v1/webhooks -d '{"url":"http://127.0.0.1:9/hook"}' >/dev/null || curl "${A[@]}" -X POST $B/admin/api/v1/webhooks -d '{"url":"http://127.0.0.1:9/hook"}'
echo "users: $U1 $U2 $U3(deleted) $U4 $U5"
