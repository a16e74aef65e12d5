// docs/widget-example.html: shows the roadbook of the token given in the page's address.
"use strict";
const token = new URLSearchParams(location.search).get("token");
if (token) {
  const widget = document.createElement("balise-roadbook");
  widget.setAttribute("token", token);
  widget.setAttribute("lang", "fr");
  document.getElementById("personal").replaceChildren(widget);
}
