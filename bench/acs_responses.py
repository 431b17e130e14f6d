#!/usr/bin/env python3
"""SAML Responses for bench/acs_load.sh: IdP-initiated, Okta-shaped, one template per
login with a distinct Response and Assertion ID, valid for a few minutes from now.

  acs_responses.py templates <out_dir> <scenario> <acs_url> <sp_entity_id> <idp_entity_id>
                             <domain> <user_prefix> <users> <logins_per_user> [validity_secs]
      Writes <out_dir>/<scenario>-<n>.tmpl (unsigned, with an xmlsec1 signature template
      inside the Assertion: RSA-SHA256, exclusive c14n, enveloped) and prints the count.
      Users are <user_prefix>0 … <user_prefix><users-1> (persistent NameID, email
      <user>@<domain>); logins are interleaved (every user once, then every user again
      …), each with a fresh assertion.
  acs_responses.py bodies <signed_dir> <scenario> <out_file>
      Writes one form body per line: SAMLResponse=<url-encoded base64 of the signed
      XML>&RelayState=<scenario>-<n>. The server sends IdP-initiated logins to the
      connection's default_redirect_uri and passes the IdP's RelayState back as `state`,
      so acs_post.py can check that each answer belongs to its request.

Signing itself is xmlsec1's (an independent signer, as in tests/fixtures/saml/).
"""
import base64
import datetime as dt
import glob
import os
import sys
import urllib.parse
import uuid

NS_SIG = "http://www.w3.org/2000/09/xmldsig#"


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def signature_template(ref_id):
    return (
        '<ds:Signature xmlns:ds="%s"><ds:SignedInfo>'
        '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
        '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
        '<ds:Reference URI="#%s"><ds:Transforms>'
        '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
        '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">'
        '<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="xs"/>'
        '</ds:Transform></ds:Transforms>'
        '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue></ds:DigestValue>'
        '</ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue>'
        '<ds:KeyInfo><ds:X509Data><ds:X509Certificate></ds:X509Certificate></ds:X509Data></ds:KeyInfo>'
        '</ds:Signature>' % (NS_SIG, ref_id)
    )


def response(acs, audience, issuer, user, domain, now, validity):
    rid = "_r" + uuid.uuid4().hex
    aid = "_a" + uuid.uuid4().hex
    end = iso(now + dt.timedelta(seconds=validity))
    attrs = [
        ("email", ["%s@%s" % (user, domain)]),
        ("firstName", ["Bench"]),
        ("lastName", [user]),
        ("groups", ["Everyone", "bench-users"]),
        ("department", ["Load"]),
    ]
    attr_xml = "".join(
        '<saml2:Attribute Name="%s" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified">%s</saml2:Attribute>'
        % (n, "".join('<saml2:AttributeValue xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                      'xsi:type="xs:string">%s</saml2:AttributeValue>' % v for v in vs))
        for n, vs in attrs)
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" Destination="{acs}" ID="{rid}" IssueInstant="{iso(now)}" Version="2.0" xmlns:xs="http://www.w3.org/2001/XMLSchema"><saml2:Issuer xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{issuer}</saml2:Issuer><saml2p:Status><saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></saml2p:Status><saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="{aid}" IssueInstant="{iso(now)}" Version="2.0" xmlns:xs="http://www.w3.org/2001/XMLSchema"><saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{issuer}</saml2:Issuer>{signature_template(aid)}<saml2:Subject><saml2:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{user}</saml2:NameID><saml2:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml2:SubjectConfirmationData NotOnOrAfter="{end}" Recipient="{acs}"/></saml2:SubjectConfirmation></saml2:Subject><saml2:Conditions NotBefore="{iso(now - dt.timedelta(seconds=60))}" NotOnOrAfter="{end}"><saml2:AudienceRestriction><saml2:Audience>{audience}</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions><saml2:AuthnStatement AuthnInstant="{iso(now)}" SessionIndex="{aid}" SessionNotOnOrAfter="{iso(now + dt.timedelta(hours=8))}"><saml2:AuthnContext><saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement><saml2:AttributeStatement>{attr_xml}</saml2:AttributeStatement></saml2:Assertion></saml2p:Response>
'''


def templates(out, scenario, acs, audience, issuer, domain, prefix, users, per_user, validity=600):
    now = dt.datetime.now(dt.timezone.utc)
    os.makedirs(out, exist_ok=True)
    n = 0
    for _ in range(int(per_user)):
        for u in range(int(users)):
            with open(os.path.join(out, "%s-%07d.tmpl" % (scenario, n)), "w", encoding="utf-8") as f:
                f.write(response(acs, audience, issuer, "%s%d" % (prefix, u), domain, now, int(validity)))
            n += 1
    print(n)


def bodies(signed_dir, scenario, out_file):
    files = sorted(glob.glob(os.path.join(signed_dir, "%s-*.xml" % scenario)))
    with open(out_file, "w", encoding="ascii") as out:
        for n, path in enumerate(files):
            with open(path, "rb") as f:
                b64 = base64.b64encode(f.read()).decode("ascii")
            out.write(urllib.parse.urlencode(
                {"SAMLResponse": b64, "RelayState": "%s-%d" % (scenario, n)}) + "\n")
    print(len(files))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "templates":
        templates(*args)
    elif cmd == "bodies":
        bodies(*args)
    else:
        sys.exit(__doc__)
