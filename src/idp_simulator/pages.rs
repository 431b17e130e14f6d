//! The simulator's pages: self-contained HTML (no external assets), every input with a
//! label. Everything interpolated is escaped.
//!
//! Hidden inputs and the form's action sit on lines of their own, so a curl walk can
//! pick them out with `sed` (the README tour does).

use crate::saml::xml::escape;

/// What the developer typed (echoed back when the form is refused).
#[derive(Debug, Clone, Default)]
pub struct FormValues {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub groups: String,
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;\
padding:0 1rem;color:#222}h1{font-size:1.4rem}.dev{background:#fff4d6;border:1px solid #e0b84d;\
padding:.5rem .75rem;border-radius:4px}label{display:block;margin-top:.8rem;font-weight:600}\
input[type=text],input[type=email]{width:100%;padding:.4rem;font-size:1rem;box-sizing:border-box}\
button{margin-top:1.2rem;padding:.5rem 1.2rem;font-size:1rem}.err{color:#a00}\
pre,code{background:#f3f3f3;padding:.1rem .3rem;overflow-x:auto}pre{padding:.6rem}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n",
        escape(title)
    )
}

/// The sign-in form. `action` is where it posts (the SSO URL with the AuthnRequest's
/// query, so the POST carries the same request); `audience` names the application.
pub fn login_form(action: &str, audience: &str, error: Option<&str>, v: &FormValues) -> String {
    let error = error
        .map(|e| format!("<p class=\"err\" role=\"alert\">{}</p>\n", escape(e)))
        .unwrap_or_default();
    let field = |id: &str, label: &str, kind: &str, value: &str, extra: &str| {
        format!(
            "<label for=\"{id}\">{label}</label>\n\
             <input id=\"{id}\" name=\"{id}\" type=\"{kind}\" value=\"{}\"{extra}>\n",
            escape(value)
        )
    };
    let body = format!(
        "<h1>provisiond IdP simulator</h1>\n\
         <p class=\"dev\">Development only: whoever reaches this page can sign in as anyone. \
         It answers like a real SAML IdP, with a Response signed by its own key.</p>\n\
         <p>Signing in to <code>{audience}</code>.</p>\n{error}\
         <form method=\"post\"\naction=\"{action}\">\n{email}{first}{last}{groups}\
         <button type=\"submit\">Sign in</button>\n</form>",
        audience = escape(audience),
        action = escape(action),
        email = field(
            "email",
            "Email",
            "email",
            &v.email,
            " required autocomplete=\"email\" autofocus"
        ),
        first = field("first_name", "First name", "text", &v.first_name, ""),
        last = field("last_name", "Last name", "text", &v.last_name, ""),
        groups = field(
            "groups",
            "Groups (comma-separated)",
            "text",
            &v.groups,
            " placeholder=\"engineering, admins\""
        ),
    );
    page("IdP simulator: sign in", &body)
}

/// The HTTP-POST binding (SAML Bindings §3.5.4): a form that submits itself to the ACS;
/// without JavaScript, the button does it.
pub fn auto_post(acs_url: &str, saml_response_b64: &str, relay_state: Option<&str>) -> String {
    let relay = relay_state
        .map(|r| {
            format!(
                "<input type=\"hidden\" name=\"RelayState\" value=\"{}\">\n",
                escape(r)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>Signing you in…</h1>\n\
         <form method=\"post\"\naction=\"{acs}\">\n\
         <input type=\"hidden\" name=\"SAMLResponse\" value=\"{resp}\">\n{relay}\
         <noscript><button type=\"submit\">Continue</button></noscript>\n</form>\n\
         <script>document.forms[0].submit();</script>",
        acs = escape(acs_url),
        resp = escape(saml_response_b64),
    );
    page("IdP simulator: signing in", &body)
}

/// The demo callback (`/dev/callback`): what an app's callback receives, and the call its
/// backend makes with it.
pub fn callback(
    token_url: &str,
    redirect_uri: &str,
    code: Option<&str>,
    state: Option<&str>,
    error: Option<&str>,
) -> String {
    let show = |v: Option<&str>| {
        v.map(|s| format!("<code>{}</code>", escape(s)))
            .unwrap_or_else(|| "<em>none</em>".into())
    };
    let next = match code {
        Some(code) => {
            let body = serde_json::json!({ "code": code, "redirect_uri": redirect_uri });
            let curl = format!(
                "curl -s -X POST {token_url} \\\n  -H \"Authorization: Bearer $APP_KEY\" \
                 -H 'Content-Type: application/json' \\\n  -d '{body}'"
            );
            format!(
                "<p>Your app's backend now exchanges the code (once, within 60 seconds) for \
                 the user's profile, with an app API key (<code>$APP_KEY</code>):</p>\n\
                 <pre>{}</pre>",
                escape(&curl)
            )
        }
        None => "<p>No code: the login did not complete.</p>".into(),
    };
    let body = format!(
        "<h1>provisiond demo callback</h1>\n\
         <p class=\"dev\">Development only: this page stands in for your app's callback.</p>\n\
         <p>code: {}</p>\n<p>state: {}</p>\n{}{next}",
        show(code),
        show(state),
        error
            .map(|e| format!("<p class=\"err\">error: <code>{}</code></p>\n", escape(e)))
            .unwrap_or_default(),
    );
    page("provisiond demo callback", &body)
}

/// A refusal the developer can act on.
pub fn error(message: &str) -> String {
    page(
        "IdP simulator: error",
        &format!(
            "<h1>IdP simulator</h1>\n<p class=\"err\">{}</p>",
            escape(message)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_interpolated_is_escaped() {
        let v = FormValues {
            email: "\"><script>".into(),
            ..Default::default()
        };
        let p = login_form("/dev/idp/sso?a=1&b=<", "<sp>", Some("<bad>"), &v);
        assert!(!p.contains("<script>"), "{p}");
        assert!(!p.contains("<sp>") && !p.contains("<bad>"));
        assert!(p.contains("action=\"/dev/idp/sso?a=1&amp;b=&lt;\""));
        let p = auto_post("http://x/acs\"", "PHg+", Some("\"><x"));
        assert!(p.contains("value=\"PHg+\"") && !p.contains("\"><x"));
        let p = callback("http://x", "http://x/cb", Some("<c>"), Some("s'"), None);
        assert!(!p.contains("<c>") && p.contains("&lt;c&gt;"));
    }

    #[test]
    fn every_input_has_a_label() {
        let p = login_form("/a", "sp", None, &FormValues::default());
        for id in ["email", "first_name", "last_name", "groups"] {
            assert!(p.contains(&format!("<label for=\"{id}\">")), "{id}");
            assert!(p.contains(&format!("<input id=\"{id}\"")), "{id}");
        }
        assert!(
            !p.contains("src=") && !p.contains("href="),
            "no external assets"
        );
    }
}
