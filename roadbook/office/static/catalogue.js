// Progressive enhancement of the opening-hours editor: an "add a rule" button that copies the
// last (empty) row with its fields renumbered. Without the script, the page always has two
// empty rows, and more appear after saving.
const rules = document.querySelector("[data-rules]");
const template = document.querySelector("template[data-add-rule]");
if (rules && template) {
  const button = template.content.firstElementChild.cloneNode(true);
  rules.after(button);
  button.addEventListener("click", () => {
    const rows = rules.querySelectorAll("[data-rule]");
    const last = rows[rows.length - 1];
    const index = rows.length;
    const copy = last.cloneNode(true);
    const renumber = (value) => value.replace(/^rule-\d+-/, `rule-${index}-`);
    for (const element of copy.querySelectorAll("[name], [id], [for], [aria-describedby]")) {
      for (const attribute of ["name", "id", "for"]) {
        if (element.hasAttribute(attribute)) {
          element.setAttribute(attribute, renumber(element.getAttribute(attribute)));
        }
      }
      element.removeAttribute("aria-describedby");
      element.removeAttribute("aria-invalid");
      if (element.type === "checkbox") element.checked = false;
      else if ("value" in element && element.type !== "checkbox") element.value = "";
    }
    for (const message of copy.querySelectorAll(".error")) message.remove();
    const legend = copy.querySelector("legend");
    if (legend) legend.textContent = legend.textContent.replace(/\d+/, String(index + 1));
    last.after(copy);
    copy.querySelector("input")?.focus();
  });
}
