/*! Balise roadbook widget — docs/widget.md.
 * <script src="<public URL>/widget.js" defer></script>
 * <balise-roadbook token="..." lang="fr"></balise-roadbook>   the visitor's own roadbook
 * <balise-roadbook site="destination/site" lang="de"></balise-roadbook>   what to do near a site
 *
 * No inline script or style, no eval, no cookie: it works under a strict Content-Security-Policy
 * (script-src and connect-src naming the CRM). Every text from the feed is set with textContent,
 * so a partner's text is shown as text, never parsed as markup.
 */
(() => {
  "use strict";
  const TAG = "balise-roadbook";
  if (!window.customElements || customElements.get(TAG)) return;

  // The CRM serving this script, which also serves the roadbooks (its public URL).
  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  const BASE = new URL(".", script && script.src ? script.src : location.href);

  // Its words by language then key (fr, en, de, nl): the server puts them in from its TOML
  // catalogues (roadbook/widget/texts.py), shared with the roadbook page where it says the same.
  const TEXT = /* texts: roadbook/widget/asset.py */ {};

  const CSS = `
:host{display:block;container-type:inline-size;color-scheme:light dark;
--bg:var(--balise-background,#fff);--fg:var(--balise-color,#1c1d1f);
--muted:var(--balise-muted,#4f5359);--line:var(--balise-border,#d5d8dc);
--accent:var(--balise-accent,#0a5bb5);--offer-bg:#fdf0d2;--offer-fg:#663f00;
font:inherit;line-height:1.45;color:var(--fg)}
:host([hidden]){display:none}
@media (prefers-color-scheme:dark){:host{--bg:var(--balise-background,#1d1f23);
--fg:var(--balise-color,#eceef1);--muted:var(--balise-muted,#b9bec6);
--line:var(--balise-border,#3e434a);--accent:var(--balise-accent,#8fbfff);
--offer-bg:#4a3500;--offer-fg:#ffe3a6}}
.rb{background:var(--bg);border:1px solid var(--line);border-radius:12px;padding:1rem;
box-sizing:border-box;max-width:100%}
h2,h3,h4,h5,h6{margin:0;line-height:1.25;color:var(--fg)}
.title{font-size:1.2em}
.sec{margin-top:1.1rem}
.sec>:first-child{font-size:1em;color:var(--muted);font-weight:600;margin-bottom:.4rem}
ul{list-style:none;margin:0;padding:0;display:grid;gap:.6rem;
grid-template-columns:repeat(auto-fill,minmax(min(100%,17rem),1fr))}
li{border:1px solid var(--line);border-radius:10px;padding:.65rem .75rem;min-width:0;
overflow-wrap:anywhere}
li.offer{border-color:var(--offer-fg);border-style:dashed}
.name{font-weight:600;font-size:1.02em}
a{color:var(--accent);text-decoration:underline;text-underline-offset:.15em}
a:hover{text-decoration-thickness:2px}
a:focus-visible,button:focus-visible{outline:3px solid var(--accent);outline-offset:2px;
border-radius:3px}
.why{margin:.25rem 0 0;color:var(--muted);font-size:.93em}
.label{margin:0 0 .3rem;font-size:.85em;color:var(--muted)}
.tag{display:inline-block;padding:.05rem .45rem;border-radius:6px;background:var(--offer-bg);
color:var(--offer-fg);font-weight:600;margin-right:.2rem}
.notice,.state{margin:.6rem 0 0;color:var(--muted)}
.state.err{color:var(--fg)}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);
white-space:nowrap}
.more{display:inline-block;margin-top:1rem}
.redeem{margin:.6rem 0 .1rem;padding:.6rem;border:1px solid var(--line);border-radius:8px;
text-align:center}
.redeem p{margin:0}
.redeem .your{margin-top:.35rem;font-size:.85em;color:var(--muted)}
.code{font:700 1.5em/1.2 ui-monospace,Menlo,Consolas,monospace;letter-spacing:.1em}
.qr{display:block;width:min(11rem,100%);height:auto;margin:.5rem auto 0;background:#fff}
button{font:inherit;margin-left:.5rem;padding:.2rem .7rem;border-radius:6px;cursor:pointer;
border:1px solid var(--accent);background:transparent;color:var(--accent)}
`;

  let sheet = null;
  function styles(root) {
    if ("adoptedStyleSheets" in root && window.CSSStyleSheet) {
      try {
        if (!sheet) {
          sheet = new CSSStyleSheet();
          sheet.replaceSync(CSS);
        }
        root.adoptedStyleSheets = [sheet];
        return;
      } catch (_) {
        /* an older browser: the <style> below */
      }
    }
    // Blocked by a CSP without 'unsafe-inline', but only browsers without constructable
    // stylesheets (before 2023) get here.
    const style = document.createElement("style");
    style.textContent = CSS;
    root.append(style);
  }

  function el(name, attrs, text) {
    const node = document.createElement(name);
    for (const key in attrs || {}) node.setAttribute(key, attrs[key]);
    if (text != null) node.textContent = String(text);
    return node;
  }

  const SVG = "http://www.w3.org/2000/svg";
  function svg(name, attrs) {
    const node = document.createElementNS(SVG, name);
    for (const key in attrs) node.setAttribute(key, attrs[key]);
    return node;
  }

  function language(value) {
    const code = String(value || "").slice(0, 2).toLowerCase();
    return TEXT[code] ? code : "fr";
  }

  // Only web links: a feed's link is never followed as javascript: or data:.
  function webLink(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      const url = new URL(value, BASE);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function text(value) {
    return typeof value === "string" ? value : "";
  }

  let serial = 0;

  class BaliseRoadbook extends HTMLElement {
    static get observedAttributes() {
      return ["token", "site", "lang", "heading-level", "limit"];
    }

    constructor() {
      super();
      this.root = this.attachShadow({ mode: "open" });
      styles(this.root);
      this.box = el("section", { class: "rb", part: "roadbook" });
      this.root.append(this.box);
      this.id_ = "b" + ++serial;
      this.pending = null;
    }

    connectedCallback() {
      this.queue();
    }

    disconnectedCallback() {
      if (this.pending) this.pending.abort();
      this.pending = null;
    }

    attributeChangedCallback(_name, before, after) {
      if (before !== after) this.queue();
    }

    // One load for all the changes of a task (an upgraded element reports each attribute,
    // then its connection).
    queue() {
      if (this.queued) return;
      this.queued = true;
      queueMicrotask(() => {
        this.queued = false;
        if (this.isConnected) this.load();
      });
    }

    get lang_() {
      return language(this.getAttribute("lang"));
    }

    get level() {
      const level = parseInt(this.getAttribute("heading-level") || "3", 10);
      return level >= 2 && level <= 5 ? level : 3;
    }

    // The address of the roadbook asked for, or null when the element names none.
    source() {
      const lang = "lang=" + this.lang_;
      const token = (this.getAttribute("token") || "").trim();
      if (token) return new URL("r/" + encodeURIComponent(token) + "/feed.json?" + lang, BASE);
      const parts = (this.getAttribute("site") || "").trim().split("/");
      if (parts.length === 2 && parts[0] && parts[1]) {
        const path = parts.map(encodeURIComponent).join("/");
        return new URL("widget/site/" + path + ".json?" + lang, BASE);
      }
      return null;
    }

    state(message, error) {
      this.box.replaceChildren();
      const line = el("p", { class: error ? "state err" : "state", role: "status" }, message);
      this.box.append(line);
      return line;
    }

    load() {
      if (this.pending) this.pending.abort();
      const words = TEXT[this.lang_];
      const url = this.source();
      if (!url) {
        this.state(words.error, true);
        return;
      }
      this.box.setAttribute("aria-busy", "true");
      this.state(words.loading, false);
      const pending = new AbortController();
      this.pending = pending;
      fetch(url, {
        credentials: "omit",
        mode: "cors",
        referrerPolicy: "no-referrer",
        signal: pending.signal,
      })
        .then((response) => {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then((feed) => {
          if (this.pending !== pending) return;
          this.render(feed, words);
        })
        .catch((error) => {
          if (this.pending !== pending || error.name === "AbortError") return;
          const line = this.state(words.error, true);
          const retry = el("button", { type: "button" }, words.retry);
          retry.addEventListener("click", () => this.load());
          line.append(retry);
        })
        .finally(() => {
          if (this.pending === pending) {
            this.pending = null;
            this.box.removeAttribute("aria-busy");
          }
        });
    }

    render(feed, words) {
      const box = this.box;
      const level = this.level;
      const ext = (feed && feed._balise) || {};
      // Codes are the visitor's own: shown only by a token widget, never in the site mode.
      const personal = !!(this.getAttribute("token") || "").trim();
      box.replaceChildren();
      const titleId = this.id_ + "-t";
      box.setAttribute("aria-labelledby", titleId);
      box.append(el("h" + level, { class: "title", id: titleId }, text(feed && feed.title)));
      if (text(ext.notice)) box.append(el("p", { class: "notice" }, ext.notice));

      // Sections in the feed's order, each with its items in the feed's order.
      const sections = new Map();
      // Only the first `limit` items, in the roadbook's order, when it is set.
      const limit = parseInt(this.getAttribute("limit") || "", 10);
      let room = limit > 0 ? limit : Infinity;
      for (const item of Array.isArray(feed && feed.items) ? feed.items : []) {
        const meta = (item && item._balise) || {};
        if (!text(meta.section) || !text(item.title) || room-- <= 0) continue;
        if (!sections.has(meta.section)) {
          sections.set(meta.section, { title: text(meta.section_title), items: [] });
        }
        sections.get(meta.section).items.push(item);
      }
      if (!sections.size) box.append(el("p", { class: "state" }, words.empty));

      let n = 0;
      for (const [key, section] of sections) {
        const headingId = this.id_ + "-s" + ++n;
        const part = el("section", { class: "sec", "aria-labelledby": headingId, "data-section": key });
        part.append(el("h" + (level + 1), { id: headingId }, section.title || key));
        const list = el("ul");
        for (const item of section.items) list.append(this.entry(item, words, personal));
        part.append(list);
        box.append(part);
      }

      const home = webLink(feed && feed.home_page_url);
      if (home && personal) {
        const more = el("a", { class: "more", href: home, target: "_blank", rel: "noopener" });
        more.append(words.more + " ", el("span", { class: "vh" }, words.new_tab));
        box.append(more);
      }
    }

    entry(item, words, personal) {
      const meta = item._balise || {};
      const sponsored = meta.sponsored === true;
      const li = el("li", sponsored ? { class: "offer" } : {});
      if (sponsored) {
        const label = el("p", { class: "label" });
        label.append(el("span", { class: "tag" }, text(meta.label) || words.partner_offer));
        if (text(meta.partner)) label.append(" ", el("span", { class: "partner" }, meta.partner));
        li.append(label);
      }
      const href = webLink(item.url) || webLink(item.external_url);
      const name = el("div", { class: "name" });
      if (href) {
        const link = el("a", { href, target: "_blank", rel: "noopener" }, item.title);
        link.append(" ", el("span", { class: "vh" }, words.new_tab));
        name.append(link);
      } else {
        name.textContent = item.title;
      }
      li.append(name);
      if (text(meta.why)) li.append(el("p", { class: "why" }, meta.why));
      const code = meta.redemption;
      if (personal && code && text(code.code)) li.append(this.redeem(code, words));
      return li;
    }

    // How to redeem an offer at the counter, as the roadbook page shows it: what to do, the
    // code, and for the "qr" kind its QR code, drawn from the feed's path (no markup parsed).
    redeem(redemption, words) {
      // "code" (read it out), "qr" (have it scanned), "screen" (show the screen).
      const kind = ["qr", "screen"].includes(redemption.kind) ? redemption.kind : "code";
      const box = el("div", { class: "redeem", "data-kind": kind });
      box.append(
        el("p", { class: "how" }, words["redeem_" + kind]),
        el("p", { class: "your" }, words.your_code),
        el("p", { class: "code" }, redemption.code)
      );
      const qr = redemption.qr || {};
      const size = qr.size;
      if (kind === "qr" && Number.isInteger(size) && size > 0 && text(qr.path)) {
        const image = svg("svg", {
          class: "qr",
          viewBox: "0 0 " + size + " " + size,
          role: "img",
          "aria-label": words.qr_of.replace("{code}", () => redemption.code),
        });
        image.append(svg("path", { stroke: "#000", d: qr.path }));
        box.append(image);
      }
      return box;
    }
  }

  customElements.define(TAG, BaliseRoadbook);
})();
