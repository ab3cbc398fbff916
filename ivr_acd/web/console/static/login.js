// The log-in page: POST /api/v1/auth/login, keep the CSRF token for this tab, go on to the
// page asked for (a path of this console only) or the one for the role. The page's language
// switcher (console.js) remembers the choice in a cookie until someone signs in.
import { api, errorText, setCsrf } from "/console/static/console.js";

function nextPage(role) {
  const asked = new URLSearchParams(location.search).get("next") || "";
  if (/^\/console(\/[a-z]+)?$/.test(asked)) return asked;
  return role === "agent" ? "/console/agent" : "/console";
}

document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("login-error");
  error.hidden = true;
  const button = document.getElementById("sign-in");
  button.disabled = true;
  try {
    const me = await api("POST", "/auth/login", {
      extension: document.getElementById("extension").value.trim(),
      password: document.getElementById("password").value,
    });
    setCsrf(me.csrf_token);
    location.assign(nextPage(me.role));
  } catch (exc) {
    error.textContent = errorText(exc);
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
});
