// The CareQueue sandbox page: a local, Slack-like workspace over the sandbox's JSON routes.
//
// It polls GET /sandbox/state about once a second and re-renders when the state's version
// or the selection changes; every click, select, command, shortcut and modal submission is
// one POST to a /sandbox/* route (the server signs it and sends the app what Slack would).
// DOM is built with textContent only; text from the app is never parsed as HTML.

import { renderMrkdwn, renderPlain, renderText, textOf } from "./mrkdwn.js";

const POLL_MS = 1000;
const BOT_USER = "UBOT";
const REQUIRED_ERROR = "Please complete this required field.";

const $ = (id) => document.getElementById(id);

// --------------------------------------------------------------------------- DOM helper

/** h("div.a.b", {attr: value, onclick: fn, text: "…"}, ...children) */
function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function h(tag, props, ...children) {
  const [name, ...classes] = tag.split(".");
  const node = document.createElement(name || "div");
  if (classes.length) node.className = classes.join(" ");
  let value;
  for (const [key, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (key === "class") node.classList.add(...String(v).split(/\s+/).filter(Boolean));
    else if (key === "text") node.textContent = String(v);
    else if (key === "value") value = v;
    else if (key.startsWith("on") && typeof v === "function") node.addEventListener(key.slice(2), v);
    else node.setAttribute(key, v === true ? "" : String(v));
  }
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  if (value !== undefined) node.value = value;
  return node;
}

// --------------------------------------------------------------------------- app state

const app = {
  state: null,
  user: null,
  channel: null,
  channelName: null,
  home: false,
  thread: null,
  lastVersion: null,
  lastKey: null,
  lastTimelineKey: null,
  lastThreadKey: null,
  pollSeq: 0,
  busy: 0,
  seen: new Map(), // user -> Map(conversation id -> message count seen)
  dismissed: new Set(),
  usersKey: null,
  modal: { viewId: null, hash: null, controls: new Map(), errors: {}, saved: new Map() },
  openMenu: null,
  homeOpenedFor: null,
};

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  app.user = params.get("user") || null;
  app.channel = params.get("channel") || null;
  app.home = params.get("view") === "home";
}

function writeHash() {
  const params = new URLSearchParams();
  if (app.user) params.set("user", app.user);
  if (app.home) params.set("view", "home");
  else if (app.channel) params.set("channel", app.channel);
  const hash = `#${params}`;
  if (location.hash !== hash) history.replaceState(null, "", hash);
}

// --------------------------------------------------------------------------- lookups

function users() {
  return app.state?.users ?? [];
}
function findUser(id) {
  return users().find((u) => u.id === id);
}
function userName(id) {
  if (id === BOT_USER) return "CareQueue";
  const user = findUser(id);
  return user ? user.real_name || user.name : null;
}
function conversations() {
  return [...(app.state?.channels ?? []), ...(app.state?.dms ?? [])];
}
function conversationName(id) {
  return conversations().find((c) => c.id === id)?.name ?? null;
}
function timeZone() {
  return app.state?.practice?.timezone || undefined;
}
function lookups() {
  return { user: userName, channel: conversationName, me: app.user, timeZone: timeZone() };
}

// --------------------------------------------------------------------------- time

const formatters = new Map();
function formatter(options) {
  const key = JSON.stringify([timeZone(), options]);
  if (!formatters.has(key)) {
    let f;
    try {
      f = new Intl.DateTimeFormat("en-US", { timeZone: timeZone(), ...options });
    } catch {
      f = new Intl.DateTimeFormat("en-US", options);
    }
    formatters.set(key, f);
  }
  return formatters.get(key);
}
function tsDate(ts) {
  return new Date(Math.round(parseFloat(ts) * 1000));
}
function formatTime(ts) {
  return formatter({ hour: "numeric", minute: "2-digit" }).format(tsDate(ts));
}
function formatDay(ts) {
  return formatter({ weekday: "long", month: "long", day: "numeric" }).format(tsDate(ts));
}
function formatFull(ts) {
  return formatter({ dateStyle: "full", timeStyle: "long" }).format(tsDate(ts));
}
/** Compare Slack timestamps ("1795432215.662100") exactly, without float rounding. */
function compareTs(a, b) {
  const [ai, af = ""] = String(a).split(".");
  const [bi, bf = ""] = String(b).split(".");
  if (ai.length !== bi.length) return ai.length - bi.length;
  if (ai !== bi) return ai < bi ? -1 : 1;
  const pa = af.padEnd(6, "0");
  const pb = bf.padEnd(6, "0");
  return pa === pb ? 0 : pa < pb ? -1 : 1;
}

// --------------------------------------------------------------------------- network

async function post(path, body) {
  app.busy += 1;
  document.body.classList.add("busy");
  try {
    const response = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (!response.ok || !data || data.ok === false) {
      toast(data?.error || `The sandbox answered HTTP ${response.status}`, "error");
      return null;
    }
    return data;
  } catch (err) {
    toast(`Could not reach the sandbox server: ${err.message}`, "error");
    return null;
  } finally {
    app.busy -= 1;
    if (app.busy === 0) document.body.classList.remove("busy");
    refresh(true);
  }
}

async function refresh(force = false) {
  const seq = ++app.pollSeq;
  const params = new URLSearchParams();
  if (app.user) params.set("user", app.user);
  if (app.channel && !app.home) params.set("channel", app.channel);
  let state;
  try {
    const response = await fetch(`/sandbox/state?${params}`, { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    state = await response.json();
    setConnected(true);
  } catch {
    if (seq === app.pollSeq) setConnected(false);
    return;
  }
  if (seq !== app.pollSeq) return; // a newer request is on its way
  app.state = state;
  if (state.me) app.user = state.me;
  if (!app.home && !conversations().some((c) => c.id === app.channel)) {
    const sameName = conversations().find((c) => c.name === app.channelName);
    const next = sameName ?? state.channels?.[0] ?? state.dms?.[0];
    if (next && next.id !== app.channel) {
      app.channel = next.id;
      app.channelName = next.name;
      app.thread = null;
      refresh(true);
      return;
    }
  }
  if (app.home && app.homeOpenedFor !== app.user) {
    openHome();
    return;
  }
  const key = selectionKey();
  if (force || state.version !== app.lastVersion || key !== app.lastKey) {
    app.lastVersion = state.version;
    app.lastKey = key;
    render();
  } else {
    renderClock();
  renderSlack();
  }
}

/**
 * The person acting changed: what was fetched for the previous one (their ephemerals, modals,
 * Home tab and DM with the app) must not be shown to the new one while their state loads.
 */
function forgetPersonalState() {
  if (!app.state) return;
  const channel = app.state.channel;
  app.state = {
    ...app.state,
    me: app.user,
    ephemerals: [],
    views: [],
    home: null,
    channel: channel?.kind === "im" ? null : channel,
  };
}

function selectionKey() {
  return JSON.stringify([app.user, app.home, app.channel, app.thread]);
}

async function pollLoop() {
  for (;;) {
    await refresh(false);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

// --------------------------------------------------------------------------- toast, status

let toastTimer = null;
function toast(message, kind = "error") {
  const node = $("toast");
  node.textContent = message;
  node.className = `toast toast-${kind}`;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (node.hidden = true), kind === "error" ? 10000 : 4000);
}

function setConnected(ok) {
  $("connection").hidden = ok;
}

// --------------------------------------------------------------------------- menus

function closeMenu() {
  if (!app.openMenu) return;
  const { menu, button } = app.openMenu;
  menu.hidden = true;
  button?.setAttribute("aria-expanded", "false");
  app.openMenu = null;
}

function openMenu(menu, button, { fixed = false } = {}) {
  if (app.openMenu?.menu === menu) {
    closeMenu();
    return;
  }
  closeMenu();
  menu.hidden = false;
  button.setAttribute("aria-expanded", "true");
  app.openMenu = { menu, button };
  if (fixed) {
    const rect = button.getBoundingClientRect();
    menu.style.position = "fixed";
    menu.style.right = `${Math.max(8, window.innerWidth - rect.right)}px`;
    menu.style.left = "auto";
    const height = menu.offsetHeight;
    const below = rect.bottom + 4;
    menu.style.top = `${below + height > window.innerHeight ? Math.max(8, rect.top - height - 4) : below}px`;
  }
}

document.addEventListener("click", (event) => {
  if (!app.openMenu) return;
  const { menu, button } = app.openMenu;
  if (menu.contains(event.target) || button?.contains(event.target)) return;
  closeMenu();
});

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  if (app.openMenu) {
    closeMenu();
    return;
  }
  if ($("confirm-root").firstChild) return; // the confirm dialog handles its own Escape
  if (app.modal.viewId) {
    event.preventDefault();
    closeModal();
  }
});

// --------------------------------------------------------------------------- confirm

/** Slack's `confirm` object on a button or select: resolve true when confirmed. */
function confirmDialog(confirm) {
  return new Promise((resolve) => {
    const root = $("confirm-root");
    const done = (answer) => {
      root.replaceChildren();
      document.removeEventListener("keydown", onKey, true);
      resolve(answer);
    };
    const onKey = (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        done(false);
      }
    };
    document.addEventListener("keydown", onKey, true);
    const yes = h(
      `button.bk-button.${confirm.style === "danger" ? "danger" : "primary"}`,
      { type: "button", "data-testid": "confirm-yes", onclick: () => done(true) },
      textOf(confirm.confirm) || "Yes",
    );
    root.replaceChildren(
      h(
        "div.modal-backdrop.confirm-backdrop",
        {},
        h(
          "div.modal.confirm",
          { role: "alertdialog", "aria-modal": "true", "data-testid": "confirm" },
          h("div.modal-header", {}, h("div.modal-title", {}, textOf(confirm.title) || "Are you sure?")),
          h("div.modal-body", {}, renderText(confirm.text, lookups())),
          h(
            "div.modal-footer",
            {},
            h(
              "button.bk-button",
              { type: "button", "data-testid": "confirm-no", onclick: () => done(false) },
              textOf(confirm.deny) || "Cancel",
            ),
            yes,
          ),
        ),
      ),
    );
    yes.focus();
  });
}

// --------------------------------------------------------------------------- blocks

function unsupported(kind, type) {
  return h(
    "div.unsupported",
    { "data-testid": "unsupported", title: "The sandbox does not render this; Slack would." },
    `Unsupported ${kind}: ${type ?? "(no type)"}`,
  );
}

function isLocalUrl(url) {
  try {
    const parsed = new URL(url, location.href);
    if (parsed.protocol === "data:" || parsed.protocol === "blob:") return true;
    return (
      parsed.origin === location.origin ||
      ["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname)
    );
  } catch {
    return false;
  }
}
function safeHref(url) {
  try {
    const parsed = new URL(url);
    return ["http:", "https:", "mailto:", "tel:"].includes(parsed.protocol) ? parsed.href : null;
  } catch {
    return null;
  }
}

/** An image: loaded only from this computer; anything else stays a labelled frame. */
function renderImage(url, alt, className) {
  if (url && isLocalUrl(url)) {
    return h(`img.${className}`, { src: url, alt: alt || "", title: alt || "", loading: "lazy" });
  }
  const href = safeHref(url || "");
  return h(
    `span.${className}.image-offline`,
    { title: `${alt || "image"} — ${url || "no URL"} (not loaded: nothing leaves this computer)` },
    h("span.image-icon", { "aria-hidden": "true" }, "▣"),
    h("span.image-alt", {}, alt || "image"),
    href && className === "image-large"
      ? h("a.image-link", { href, target: "_blank", rel: "noopener noreferrer" }, "open")
      : null,
  );
}

function renderBlocks(blocks, ctx) {
  const wrap = h("div.blocks");
  for (const block of blocks ?? []) {
    let node;
    try {
      node = renderBlock(block, ctx);
    } catch (err) {
      console.error("could not render block", block, err);
      node = unsupported("block", `${block?.type} (${err.message})`);
    }
    if (node) wrap.append(node);
  }
  return wrap;
}

function renderBlock(block, ctx) {
  const lk = lookups();
  const attrs = { "data-block-id": block.block_id ?? null };
  switch (block.type) {
    case "header":
      return h("div.block.block-header", attrs, renderPlain(block.text));
    case "divider":
      return h("hr.block.block-divider", attrs);
    case "section": {
      const main = h("div.section-main");
      if (block.text) main.append(h("div.section-text", {}, renderText(block.text, lk)));
      if (block.fields?.length) {
        main.append(
          h(
            "div.section-fields",
            {},
            block.fields.map((field) => h("div.section-field", {}, renderText(field, lk))),
          ),
        );
      }
      const section = h("div.block.block-section", attrs, main);
      if (block.accessory) {
        section.append(h("div.section-accessory", {}, renderAccessory(block.accessory, block, ctx)));
      }
      return section;
    }
    case "context":
      return h(
        "div.block.block-context",
        attrs,
        (block.elements ?? []).map((element) => {
          if (element.type === "image") {
            return renderImage(element.image_url, element.alt_text, "context-image");
          }
          if (element.type === "mrkdwn" || element.type === "plain_text") {
            return h("span.context-item", {}, renderText(element, lk));
          }
          return unsupported("element", element.type);
        }),
      );
    case "actions":
      return h(
        "div.block.block-actions",
        attrs,
        (block.elements ?? []).map((element) => renderInteractive(element, block, ctx)),
      );
    case "image":
      return h(
        "div.block.block-image",
        attrs,
        block.title ? h("div.image-title", {}, renderPlain(block.title)) : null,
        renderImage(block.image_url, block.alt_text, "image-large"),
      );
    case "input":
      if (ctx.where === "modal") return renderInput(block, ctx);
      return unsupported("block", `input (outside a modal)`);
    default:
      return unsupported("block", block.type);
  }
}

function renderAccessory(element, block, ctx) {
  if (element.type === "image") return renderImage(element.image_url, element.alt_text, "accessory-image");
  return renderInteractive(element, block, ctx);
}

function renderInteractive(element, block, ctx) {
  switch (element.type) {
    case "button":
      return renderButton(element, block, ctx);
    case "static_select":
    case "users_select":
      return renderSelect(element, block, ctx);
    case "overflow":
      return renderOverflow(element, block, ctx);
    default:
      return unsupported("element", element.type);
  }
}

function renderButton(element, block, ctx) {
  const style = ["primary", "danger"].includes(element.style) ? `.${element.style}` : "";
  const id = element.action_id ?? textOf(element.text);
  const button = h(
    `button.bk-button${style}`,
    { type: "button", "data-testid": `button-${id}`, "data-action-id": element.action_id ?? null },
    renderPlain(element.text),
  );
  button.addEventListener("click", async () => {
    if (element.confirm && !(await confirmDialog(element.confirm))) return;
    const href = element.url && safeHref(element.url);
    if (href) window.open(href, "_blank", "noopener,noreferrer");
    button.disabled = true;
    button.classList.add("pending");
    try {
      await ctx.act(block, element, "button", element.value ?? null);
    } finally {
      button.disabled = false;
      button.classList.remove("pending");
    }
  });
  return button;
}

function optionsOf(element) {
  return [
    ...(element.options ?? []),
    ...(element.option_groups ?? []).flatMap((group) => group.options ?? []),
  ];
}

function appendOptions(select, element) {
  const option = (o) => h("option", { value: o.value ?? "" }, textOf(o.text));
  for (const o of element.options ?? []) select.append(option(o));
  for (const group of element.option_groups ?? []) {
    select.append(h("optgroup", { label: textOf(group.label) }, (group.options ?? []).map(option)));
  }
}

function appendUsers(select) {
  for (const user of users()) {
    select.append(
      h("option", { value: user.id }, `${user.real_name || user.name}${user.title ? ` (${user.title})` : ""}`),
    );
  }
}

function renderSelect(element, block, ctx) {
  const isUsers = element.type === "users_select";
  const placeholder = textOf(element.placeholder) || (isUsers ? "Select a user" : "Select an item");
  const select = h("select.bk-select", {
    "data-testid": `select-${element.action_id}`,
    "data-action-id": element.action_id ?? null,
    "aria-label": placeholder,
  });
  select.append(h("option", { value: "", disabled: true }, placeholder));
  if (isUsers) appendUsers(select);
  else appendOptions(select, element);
  const initial = isUsers ? element.initial_user : element.initial_option?.value;
  select.value = initial ?? "";
  let previous = select.value;
  select.addEventListener("change", async () => {
    const value = select.value;
    if (element.confirm && !(await confirmDialog(element.confirm))) {
      select.value = previous;
      return;
    }
    previous = value;
    select.disabled = true;
    try {
      await ctx.act(block, element, element.type, value);
    } finally {
      select.disabled = false;
    }
  });
  return select;
}

function renderOverflow(element, block, ctx) {
  const select = h("select.bk-overflow", {
    "data-testid": `overflow-${element.action_id}`,
    "data-action-id": element.action_id ?? null,
    "aria-label": "More actions",
    title: "More actions",
  });
  select.append(h("option", { value: "", disabled: true }, "⋯"));
  for (const option of element.options ?? []) {
    select.append(h("option", { value: option.value ?? "" }, textOf(option.text)));
  }
  select.value = "";
  select.addEventListener("change", async () => {
    const value = select.value;
    select.value = "";
    const chosen = (element.options ?? []).find((o) => o.value === value);
    const href = chosen?.url && safeHref(chosen.url);
    if (href) window.open(href, "_blank", "noopener,noreferrer");
    if (element.confirm && !(await confirmDialog(element.confirm))) return;
    await ctx.act(block, element, "overflow", value);
  });
  return select;
}

// --------------------------------------------------------------------------- modal inputs

let controlSeq = 0;
// Input elements whose `dispatch_action` the page sends (the kinds SlackSide can act on).
const DISPATCHED_KINDS = new Set(["static_select", "users_select"]);

/** One input block in a modal: label, control, hint, error. Registers a control in ctx. */
function renderInput(block, ctx) {
  const element = block.element ?? {};
  const blockId = block.block_id ?? `input-${controlSeq}`;
  const controlId = `ctl-${++controlSeq}`;
  const labelText = textOf(block.label);
  const label = h(
    "label.input-label",
    { for: controlId, id: `${controlId}-label` },
    renderPlain(block.label),
    block.optional ? h("span.optional", {}, " (optional)") : null,
  );
  const control = renderControl(element, controlId, labelText);
  const error = h("div.input-error", {
    "data-testid": `error-${blockId}`,
    role: "alert",
    hidden: true,
  });
  const wrap = h(
    "div.block.block-input",
    { "data-testid": `input-${blockId}`, "data-block-id": blockId },
    label,
    control.node,
    block.hint ? h("div.input-hint", {}, renderPlain(block.hint)) : null,
    error,
  );
  if (block.dispatch_action && DISPATCHED_KINDS.has(element.type) && ctx.act) {
    // Slack sends a dispatched input's change at once, with what is entered so far (the
    // form may follow it); the carried values are restored when the app rebuilds the form.
    control.node.addEventListener("change", () => {
      const value = control.get();
      if (!control.empty(value)) ctx.act(block, element, element.type, value);
    });
  }
  if (control.get) {
    ctx.controls.set(blockId, {
      ...control,
      type: element.type,
      actionId: element.action_id,
      optional: Boolean(block.optional),
      minLength: element.min_length ?? 0,
      wrap,
      error,
    });
  }
  return wrap;
}

function renderControl(element, id, labelText) {
  const placeholder = textOf(element.placeholder);
  switch (element.type) {
    case "plain_text_input":
    case "email_text_input":
    case "url_text_input":
    case "number_input": {
      const multiline = element.type === "plain_text_input" && element.multiline;
      const type = { email_text_input: "email", url_text_input: "url" }[element.type] ?? "text";
      const node = multiline
        ? h("textarea.bk-input.bk-textarea", { id, rows: 4 })
        : h("input.bk-input", { id, type });
      if (element.type === "number_input") node.setAttribute("inputmode", element.is_decimal_allowed ? "decimal" : "numeric");
      if (placeholder) node.placeholder = placeholder;
      if (element.max_length) node.maxLength = element.max_length;
      node.name = element.action_id ?? "";
      node.value = element.initial_value ?? "";
      const hasInitial = Boolean(element.initial_value);
      return {
        node,
        get: () => node.value,
        set: (v) => (node.value = v ?? ""),
        empty: (v) => !String(v ?? "").trim(),
        hasInitial,
      };
    }
    case "static_select":
    case "users_select":
    case "multi_static_select":
    case "multi_users_select": {
      const multi = element.type.startsWith("multi_");
      const isUsers = element.type.endsWith("users_select");
      const node = h("select.bk-select.bk-input-select", { id, name: element.action_id ?? "" });
      if (multi) {
        node.multiple = true;
        node.size = Math.min(6, Math.max(3, isUsers ? users().length : optionsOf(element).length));
      } else {
        node.append(h("option", { value: "" }, placeholder || (isUsers ? "Select a user" : "Select an item")));
      }
      if (isUsers) appendUsers(node);
      else appendOptions(node, element);
      let initial;
      if (element.type === "static_select") initial = element.initial_option?.value;
      else if (element.type === "users_select") initial = element.initial_user;
      else if (element.type === "multi_static_select") initial = (element.initial_options ?? []).map((o) => o.value);
      else initial = element.initial_users ?? [];
      const set = (v) => {
        if (multi) {
          const chosen = new Set(v ?? []);
          for (const option of node.options) option.selected = chosen.has(option.value);
        } else {
          node.value = v ?? "";
          if (node.selectedIndex === -1) node.value = "";
        }
      };
      set(initial);
      const get = () => (multi ? [...node.selectedOptions].map((o) => o.value) : node.value);
      return {
        node,
        get,
        set,
        empty: (v) => (multi ? !v?.length : !v),
        hasInitial: multi ? initial.length > 0 : Boolean(initial),
      };
    }
    case "datepicker":
    case "timepicker": {
      const node = h("input.bk-input.bk-picker", {
        id,
        type: element.type === "datepicker" ? "date" : "time",
        name: element.action_id ?? "",
      });
      const initial = element.type === "datepicker" ? element.initial_date : element.initial_time;
      node.value = initial ?? "";
      return { node, get: () => node.value, set: (v) => (node.value = v ?? ""), empty: (v) => !v, hasInitial: Boolean(initial) };
    }
    case "checkboxes":
    case "radio_buttons": {
      const radio = element.type === "radio_buttons";
      const node = h("div.bk-choices", { id, role: radio ? "radiogroup" : "group", "aria-label": labelText });
      const initial = radio
        ? [element.initial_option?.value].filter((v) => v != null)
        : (element.initial_options ?? []).map((o) => o.value);
      const inputs = [];
      for (const option of element.options ?? []) {
        const input = h("input", {
          type: radio ? "radio" : "checkbox",
          name: `${id}-${element.action_id ?? "choice"}`,
          value: option.value ?? "",
        });
        input.checked = initial.includes(option.value);
        inputs.push(input);
        node.append(
          h(
            "label.bk-choice",
            {},
            input,
            h(
              "span.bk-choice-text",
              {},
              renderText(option.text, lookups()),
              option.description ? h("span.bk-choice-description", {}, renderText(option.description, lookups())) : null,
            ),
          ),
        );
      }
      const get = () => {
        const chosen = inputs.filter((i) => i.checked).map((i) => i.value);
        return radio ? (chosen[0] ?? "") : chosen;
      };
      const set = (v) => {
        const chosen = new Set(radio ? [v] : (v ?? []));
        for (const input of inputs) input.checked = chosen.has(input.value);
      };
      return {
        node,
        get,
        set,
        empty: (v) => (radio ? !v : !v?.length),
        hasInitial: initial.length > 0,
      };
    }
    default:
      return { node: unsupported("element", element.type) };
  }
}

// --------------------------------------------------------------------------- modal

function snapshot(controls) {
  const values = new Map();
  for (const [blockId, control] of controls) {
    values.set(blockId, { type: control.type, actionId: control.actionId, value: control.get() });
  }
  return values;
}

function restore(controls, values) {
  if (!values) return;
  for (const [blockId, control] of controls) {
    const saved = values.get(blockId);
    if (saved && saved.type === control.type && saved.actionId === control.actionId) {
      control.set(saved.value);
    }
  }
}

function resetModal() {
  app.modal.viewId = null;
  app.modal.hash = null;
  app.modal.controls = new Map();
  $("modal-root").replaceChildren();
}

function renderModal() {
  const views = app.state?.views ?? [];
  const top = views[views.length - 1];
  const modal = app.modal;
  const openIds = new Set(views.map((v) => v.id));
  for (const id of modal.saved.keys()) if (!openIds.has(id)) modal.saved.delete(id);
  for (const id of Object.keys(modal.errors)) if (!openIds.has(id)) delete modal.errors[id];

  if (!top) {
    if (modal.viewId) resetModal();
    return;
  }
  const hash = JSON.stringify([top, views.length]);
  if (modal.viewId === top.id && modal.hash === hash) {
    showErrors();
    return;
  }
  let carry = null;
  let scrollTop = 0;
  if (modal.viewId) {
    const values = snapshot(modal.controls);
    modal.saved.set(modal.viewId, values);
    if (modal.viewId === top.id) {
      carry = values;
      scrollTop = $("modal-root").querySelector(".modal-body")?.scrollTop ?? 0;
    }
  }
  carry = carry ?? modal.saved.get(top.id) ?? null;
  const sameView = modal.viewId === top.id;

  modal.viewId = top.id;
  modal.hash = hash;
  modal.controls = new Map();
  const ctx = {
    where: "modal",
    controls: modal.controls,
    act: (block, element, kind, value) =>
      viewAction(top.id, block, element, kind, value, collectValues().values),
  };
  const body = h("div.modal-body", {}, renderBlocks(top.blocks, ctx));
  const submit = top.submit
    ? h(
        "button.bk-button.primary",
        { type: "button", "data-testid": "modal-submit", onclick: () => submitModal(top, submit) },
        renderPlain(top.submit),
      )
    : null;
  const close = h(
    "button.bk-button",
    { type: "button", "data-testid": "modal-close", onclick: () => closeModal() },
    top.close ? renderPlain(top.close) : "Cancel",
  );
  const dialog = h(
    "div.modal",
    {
      role: "dialog",
      "aria-modal": "true",
      "aria-labelledby": "modal-title",
      "data-testid": "modal",
      "data-callback-id": top.callback_id ?? "",
      "data-view-id": top.id,
      // Changes with every views.update: a test waits on it after a dispatched choice.
      "data-view-hash": top.hash ?? "",
    },
    h(
      "div.modal-header",
      {},
      h("span.app-icon", { "aria-hidden": "true" }, "CQ"),
      h("div.modal-title", { id: "modal-title" }, renderPlain(top.title)),
      views.length > 1
        ? h("span.modal-stack", { title: "Modals open on top of each other" }, `${views.length} of ${views.length}`)
        : null,
      h(
        "button.icon-button",
        { type: "button", "data-testid": "modal-dismiss", "aria-label": "Close", title: "Close", onclick: () => closeModal() },
        "✕",
      ),
    ),
    body,
    h("div.modal-footer", {}, close, submit),
  );
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && submit) {
      event.preventDefault();
      submit.click();
    }
  });
  $("modal-root").replaceChildren(h("div.modal-backdrop", {}, dialog));
  restore(modal.controls, carry);
  showErrors();
  if (sameView) {
    body.scrollTop = scrollTop;
  } else {
    const first = body.querySelector("input, textarea, select");
    (first ?? submit ?? close).focus({ preventScroll: true });
  }
}

function showErrors() {
  const errors = app.modal.errors[app.modal.viewId] ?? {};
  for (const [blockId, control] of app.modal.controls) {
    const text = errors[blockId];
    control.error.textContent = text ?? "";
    control.error.hidden = !text;
    control.wrap.classList.toggle("has-error", Boolean(text));
  }
}

function collectValues() {
  const values = {};
  const problems = {};
  for (const [blockId, control] of app.modal.controls) {
    const value = control.get();
    if (control.empty(value)) {
      if (!control.optional) problems[blockId] = REQUIRED_ERROR;
      // Left empty: omit it, or send null when the app had filled it in (the person cleared it).
      if (control.hasInitial) values[blockId] = null;
      continue;
    }
    if (typeof value === "string" && control.minLength && value.length < control.minLength) {
      problems[blockId] = `Please enter at least ${control.minLength} characters.`;
    }
    values[blockId] = value;
  }
  return { values, problems };
}

async function submitModal(view, button) {
  const { values, problems } = collectValues();
  if (Object.keys(problems).length) {
    // Slack's client checks required inputs itself and never sends the submission.
    app.modal.errors[view.id] = problems;
    showErrors();
    focusFirstError();
    return;
  }
  delete app.modal.errors[view.id];
  showErrors();
  button.disabled = true;
  button.classList.add("pending");
  const data = await post("/sandbox/view_submit", { user: app.user, view_id: view.id, values });
  button.disabled = false;
  button.classList.remove("pending");
  const response = data?.response;
  if (response?.response_action === "errors") {
    const errors = response.errors ?? {};
    app.modal.errors[view.id] = errors;
    const unknown = Object.keys(errors).filter((id) => !app.modal.controls.has(id));
    if (unknown.length) {
      toast(`The app returned errors for blocks that are not inputs in this modal: ${unknown.join(", ")}`, "error");
    }
    showErrors();
    focusFirstError();
  }
}

function focusFirstError() {
  const first = $("modal-root").querySelector(".has-error");
  if (!first) return;
  first.scrollIntoView({ block: "nearest" });
  first.querySelector("input, textarea, select")?.focus({ preventScroll: true });
}

async function closeModal() {
  const viewId = app.modal.viewId;
  if (!viewId) return;
  app.modal.saved.delete(viewId);
  delete app.modal.errors[viewId];
  await post("/sandbox/view_close", { user: app.user, view_id: viewId });
}

/** A button, select or overflow in a modal or on the Home tab; a modal sends what is entered so far. */
function viewAction(viewId, block, element, kind, value, values = undefined) {
  return post("/sandbox/view_action", {
    user: app.user,
    view_id: viewId,
    action_id: element.action_id ?? null,
    block_id: block.block_id ?? null,
    kind,
    value,
    values,
  });
}

// --------------------------------------------------------------------------- messages

function initials(name) {
  const words = String(name || "?").trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? words[0][0] + words[words.length - 1][0] : (words[0] ?? "?").slice(0, 2);
  return letters.toUpperCase();
}
function colorFor(id) {
  let hash = 0;
  for (const ch of String(id)) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const palette = ["#8e44ad", "#2e86c1", "#c0392b", "#d35400", "#16a085", "#7d3c98", "#2874a6", "#b9770e"];
  return palette[hash % palette.length];
}

function authorOf(message) {
  if (message.is_bot) return message.user_name || "CareQueue";
  return message.user_name || userName(message.user) || message.user || "Someone";
}

function messageContext(message, channelId) {
  return {
    where: "message",
    act: (block, element, kind, value) => {
      const common = {
        user: app.user,
        channel: channelId,
        ts: message.ts,
        action_id: element.action_id ?? null,
        block_id: block.block_id ?? null,
      };
      if (kind === "button") return post("/sandbox/click", { ...common, value });
      return post("/sandbox/select", { ...common, kind, value });
    },
  };
}

/** As Slack groups them: a message from the same author within five minutes of the one
 * above it shows without its avatar and name (its time appears in the gutter on hover). */
const GROUP_SECONDS = 5 * 60;

function continues(previous, message) {
  if (!previous) return false;
  const sameAuthor = previous.user === message.user && !previous.is_bot === !message.is_bot;
  return sameAuthor && Number(message.ts) - Number(previous.ts) < GROUP_SECONDS;
}

/**
 * One message. options: {ephemeral, inThread, parent (the thread's parent in the pane),
 * continued (grouped under the message above: no avatar or name)}.
 */
function renderMessage(message, channelId, options = {}) {
  const { ephemeral = false, inThread = false, parent = false, continued = false } = options;
  const author = authorOf(message);
  const testid = ephemeral ? "ephemeral" : parent ? "thread-parent" : "message";
  const avatar = continued
    ? h("div.avatar-gutter", { "aria-hidden": "true" }, formatTime(message.ts))
    : message.is_bot || ephemeral
      ? h("div.avatar.avatar-bot", { "aria-hidden": "true" }, "CQ")
      : h("div.avatar", { "aria-hidden": "true", style: `background:${colorFor(message.user)}` }, initials(author));

  const head = h(
    "div.message-head",
    {},
    h("span.message-author", {}, author),
    message.is_bot || ephemeral ? h("span.app-badge", {}, "APP") : null,
    h("time.message-time", { datetime: tsDate(message.ts).toISOString(), title: formatFull(message.ts) }, formatTime(message.ts)),
    ephemeral ? h("span.ephemeral-note", {}, "Only visible to you") : null,
  );

  const content = message.blocks?.length
    ? renderBlocks(message.blocks, messageContext(message, channelId))
    : h("div.message-text", {}, renderMrkdwn(message.text ?? "", lookups()));

  const body = h("div.message-body", {}, head, content);
  for (const file of message.files ?? []) {
    body.append(
      h(
        "figure.message-file",
        { "data-testid": "file" },
        h("img", { src: file.url_private, alt: file.title ?? file.name, style: "max-width:100%" }),
        h("figcaption", {}, file.title ?? file.name),
      ),
    );
  }
  if (message.edited) body.append(h("span.edited", { "data-testid": "edited" }, "(edited)"));

  const replies = message.replies ?? [];
  if (!inThread && !ephemeral && replies.length) {
    const last = replies[replies.length - 1];
    const faces = [...new Map(replies.map((r) => [r.user, r])).values()].slice(0, 4);
    body.append(
      h(
        "div.thread-summary",
        {},
        faces.map((r) =>
          r.is_bot
            ? h("span.mini-avatar.avatar-bot", {}, "CQ")
            : h("span.mini-avatar", { style: `background:${colorFor(r.user)}` }, initials(authorOf(r))),
        ),
        h(
          "button.thread-link",
          { type: "button", "data-testid": "thread-link", onclick: () => openThread(message.ts) },
          `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`,
        ),
        h("span.thread-last", {}, `Last reply ${formatTime(last.ts)}`),
      ),
    );
  }
  if (ephemeral) {
    body.append(
      h(
        "button.link-button.dismiss",
        {
          type: "button",
          "data-testid": "ephemeral-dismiss",
          onclick: () => {
            app.dismissed.add(`${app.user}:${channelId}:${message.ts}`);
            render();
          },
        },
        "Dismiss",
      ),
    );
  }

  const node = h(
    `div.message${ephemeral ? ".message-ephemeral" : ""}${continued ? ".message-continued" : ""}`,
    { "data-testid": testid, "data-ts": message.ts },
    avatar,
    body,
  );
  if (!ephemeral && !parent) node.append(messageMenu(message, channelId, inThread));
  return node;
}

function messageMenu(message, channelId, inThread) {
  const shortcuts = (app.state?.shortcuts ?? []).filter((s) => s.type === "message");
  const menu = h("div.menu.message-menu-list", { role: "menu", hidden: true });
  const button = h(
    "button.icon-button.message-menu-button",
    { type: "button", "data-testid": "message-menu-button", "aria-haspopup": "menu", "aria-expanded": "false", title: "More actions" },
    "⋯",
  );
  if (!inThread) {
    menu.append(
      h(
        "button.menu-item",
        {
          type: "button",
          role: "menuitem",
          "data-testid": "reply-in-thread",
          onclick: () => {
            closeMenu();
            openThread(message.ts);
          },
        },
        h("span.menu-item-name", {}, "Reply in thread"),
      ),
    );
  }
  if (shortcuts.length) menu.append(h("div.menu-heading", {}, "CareQueue"));
  for (const shortcut of shortcuts) {
    menu.append(
      h(
        "button.menu-item",
        {
          type: "button",
          role: "menuitem",
          "data-testid": `message-shortcut-${shortcut.callback_id}`,
          title: shortcut.description ?? "",
          onclick: () => {
            closeMenu();
            post("/sandbox/message_shortcut", {
              user: app.user,
              callback_id: shortcut.callback_id,
              channel: channelId,
              ts: message.ts,
            });
          },
        },
        h("span.menu-item-name", {}, `⚡ ${shortcut.name}`),
        shortcut.description ? h("span.menu-item-description", {}, shortcut.description) : null,
      ),
    );
  }
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    openMenu(menu, button, { fixed: true });
  });
  return h("div.message-actions", { "data-testid": "message-menu" }, button, menu);
}

function openThread(ts) {
  app.thread = ts;
  render();
  $("thread-composer").focus({ preventScroll: true });
}

function withScroll(container, sameContext, fn) {
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 80;
  const top = container.scrollTop;
  fn();
  container.scrollTop = !sameContext || atBottom ? container.scrollHeight : top;
}

function visibleEphemerals(channelId) {
  return (app.state?.ephemerals ?? []).filter((e) => !app.dismissed.has(`${app.user}:${channelId}:${e.ts}`));
}
function isThreadEphemeral(e) {
  return e.thread_ts && e.thread_ts !== e.ts;
}

function renderTimeline() {
  const container = $("messages");
  const channel = app.state?.channel;
  const key = JSON.stringify([app.user, app.channel]);
  const same = key === app.lastTimelineKey;
  app.lastTimelineKey = key;
  withScroll(container, same, () => {
    container.replaceChildren();
    if (!channel) {
      container.append(h("div.empty", {}, "Pick a channel on the left."));
      return;
    }
    const ephemerals = visibleEphemerals(channel.id).filter((e) => !(isThreadEphemeral(e) && app.thread === e.thread_ts));
    const items = [
      ...(channel.messages ?? []).map((m) => ({ m, ephemeral: false })),
      ...ephemerals.map((m) => ({ m, ephemeral: true })),
    ].sort((a, b) => compareTs(a.m.ts, b.m.ts));
    container.append(
      h(
        "div.channel-intro",
        {},
        h("div.channel-intro-title", {}, channel.kind === "im" ? channel.name : `#${channel.name}`),
        channel.kind === "im"
          ? "This is your direct message conversation with the CareQueue app."
          : `This is the very beginning of #${channel.name}.`,
      ),
    );
    let day = null;
    let previous = null;
    for (const { m, ephemeral } of items) {
      const thisDay = formatDay(m.ts);
      if (thisDay !== day) {
        container.append(h("div.day-divider", {}, h("span", {}, thisDay)));
        day = thisDay;
        previous = null;
      }
      const continued = !ephemeral && continues(previous, m);
      container.append(renderMessage(m, channel.id, { ephemeral, continued }));
      previous = ephemeral ? null : m;
    }
  });
}

function renderThread() {
  const pane = $("thread");
  const channel = app.state?.channel;
  const parent = !app.home && app.thread ? channel?.messages?.find((m) => m.ts === app.thread) : null;
  if (!parent) {
    app.thread = null;
    pane.hidden = true;
    app.lastThreadKey = null;
    return;
  }
  pane.hidden = false;
  $("thread-subtitle").textContent = channel.kind === "im" ? channel.name : `#${channel.name}`;
  const container = $("thread-messages");
  const key = JSON.stringify([app.user, app.channel, app.thread]);
  const same = key === app.lastThreadKey;
  app.lastThreadKey = key;
  withScroll(container, same, () => {
    container.replaceChildren(renderMessage(parent, channel.id, { inThread: true, parent: true }));
    const replies = parent.replies ?? [];
    container.append(
      h("div.reply-count", {}, replies.length ? `${replies.length} ${replies.length === 1 ? "reply" : "replies"}` : "No replies yet"),
    );
    const ephemerals = visibleEphemerals(channel.id).filter((e) => e.thread_ts === app.thread && e.ts !== app.thread);
    const items = [
      ...replies.map((m) => ({ m, ephemeral: false })),
      ...ephemerals.map((m) => ({ m, ephemeral: true })),
    ].sort((a, b) => compareTs(a.m.ts, b.m.ts));
    for (const { m, ephemeral } of items) {
      container.append(renderMessage(m, channel.id, { inThread: true, ephemeral }));
    }
  });
}

// --------------------------------------------------------------------------- home

function renderHome() {
  const pane = $("home-pane");
  const home = app.state?.home;
  const scroll = pane.scrollTop;
  pane.replaceChildren(
    h(
      "div.home-header",
      {},
      h("span.app-icon.app-icon-large", { "aria-hidden": "true" }, "CQ"),
      h("div", {}, h("div.home-title", {}, "CareQueue"), h("div.home-tab", {}, "Home")),
    ),
  );
  if (!home) {
    pane.append(h("div.empty", {}, "The app has not published a Home tab for you yet."));
    return;
  }
  const ctx = {
    where: "home",
    act: (block, element, kind, value) => viewAction(home.id, block, element, kind, value),
  };
  pane.append(h("div.home-body", { "data-testid": "home-view", "data-view-id": home.id }, renderBlocks(home.blocks, ctx)));
  pane.scrollTop = scroll;
}

async function openHome() {
  app.home = true;
  app.homeOpenedFor = app.user;
  app.thread = null;
  render();
  await post("/sandbox/home_opened", { user: app.user });
}

// --------------------------------------------------------------------------- chrome

function renderClock() {
  const label = app.state?.clock?.label ?? "";
  const clock = $("clock");
  if (clock.textContent !== label) clock.textContent = label;
  if (app.state?.clock?.now) clock.title = app.state.clock.now;
}

function renderSlack() {
  const slack = app.state?.slack ?? {};
  const parts = [slack.down ? "Slack is down (played)" : "Slack is up"];
  if (slack.health) parts.push(`app sees: ${slack.health}`);
  if (slack.waiting) parts.push(`${slack.waiting} waiting to send`);
  if (slack.dead) parts.push(`${slack.dead} held back`);
  const label = parts.join(" · ");
  const status = $("slack-status");
  if (status.textContent !== label) status.textContent = label;
  status.classList.toggle("slack-down", Boolean(slack.down));
  const button = $("slack-outage");
  const wanted = slack.down ? "End the outage" : "Slack outage";
  if (button.textContent !== wanted) button.textContent = wanted;
}

function renderTopbar() {
  const state = app.state;
  $("practice-name").textContent = state.practice?.name ?? "CareQueue";
  $("workspace-name").textContent = state.practice?.name ?? "CareQueue";
  renderClock();

  const switcher = $("user-switcher");
  const usersKey = JSON.stringify(users());
  if (usersKey !== app.usersKey) {
    app.usersKey = usersKey;
    switcher.replaceChildren(
      ...users().map((u) => h("option", { value: u.id }, `${u.real_name || u.name}${u.title ? ` — ${u.title}` : ""}`)),
    );
  }
  if (switcher.value !== app.user) switcher.value = app.user ?? "";
  const me = findUser(app.user);
  $("user-title").textContent = me?.title ?? "";
  $("user-title").hidden = !me?.title;

  const menu = $("shortcuts-menu");
  const globals = (state.shortcuts ?? []).filter((s) => s.type === "global");
  menu.replaceChildren(
    globals.length ? h("div.menu-heading", {}, "CareQueue shortcuts") : h("div.menu-empty", {}, "No global shortcuts"),
    ...globals.map((shortcut) =>
      h(
        "button.menu-item",
        {
          type: "button",
          role: "menuitem",
          "data-testid": `shortcut-${shortcut.callback_id}`,
          onclick: () => {
            closeMenu();
            post("/sandbox/shortcut", { user: app.user, callback_id: shortcut.callback_id });
          },
        },
        h("span.menu-item-name", {}, `⚡ ${shortcut.name}`),
        shortcut.description ? h("span.menu-item-description", {}, shortcut.description) : null,
      ),
    ),
  );
}

function seenFor(user) {
  if (!app.seen.has(user)) app.seen.set(user, new Map());
  return app.seen.get(user);
}

function renderSidebar() {
  const state = app.state;
  const seen = seenFor(app.user);
  const entry = (conversation, testid, icon) => {
    const count = conversation.message_count ?? 0;
    if (!seen.has(conversation.id)) seen.set(conversation.id, count);
    const active = !app.home && conversation.id === app.channel;
    if (active) seen.set(conversation.id, count);
    const unread = Math.max(0, count - seen.get(conversation.id));
    return h(
      "li",
      {},
      h(
        `button.sidebar-item${active ? ".active" : ""}${unread ? ".unread" : ""}`,
        {
          type: "button",
          "data-testid": testid,
          "aria-current": active ? "page" : null,
          onclick: () => selectConversation(conversation),
        },
        h("span.sidebar-icon", { "aria-hidden": "true" }, icon),
        h("span.sidebar-name", {}, conversation.name),
        unread ? h("span.badge", { title: `${unread} new` }, String(unread)) : null,
      ),
    );
  };
  $("sidebar-home").replaceChildren(
    h(
      "li",
      {},
      h(
        `button.sidebar-item${app.home ? ".active" : ""}`,
        { type: "button", "data-testid": "home", "aria-current": app.home ? "page" : null, onclick: openHome },
        h("span.sidebar-icon", { "aria-hidden": "true" }, "⌂"),
        h("span.sidebar-name", {}, "CareQueue Home"),
      ),
    ),
  );
  $("sidebar-channels").replaceChildren(
    ...(state.channels ?? []).map((c) => entry(c, `channel-${c.name}`, c.kind === "private" ? "🔒" : "#")),
  );
  $("sidebar-dms").replaceChildren(...(state.dms ?? []).map((c) => entry(c, `dm-${c.name}`, "●")));
}

function selectConversation(conversation) {
  app.home = false;
  app.channel = conversation.id;
  app.channelName = conversation.name;
  app.thread = null;
  render();
  refresh(true);
  $("composer").focus({ preventScroll: true });
}

function renderHeader() {
  const channel = app.state?.channel;
  const header = $("channel-header");
  if (app.home) {
    header.replaceChildren(h("span.channel-title", {}, "CareQueue — Home"));
    return;
  }
  const listed = conversations().find((c) => c.id === app.channel);
  const name = channel?.name ?? listed?.name ?? "";
  const kind = channel?.kind ?? listed?.kind;
  header.replaceChildren(
    h("span.channel-title", {}, kind === "im" ? name : `# ${name}`),
    h("span.channel-meta", {}, channel ? plural(channel.messages?.length ?? 0, "message") : ""),
  );
}

function render() {
  if (!app.state) return;
  if (app.openMenu && !app.openMenu.menu.isConnected) app.openMenu = null;
  writeHash();
  renderTopbar();
  renderSidebar();
  renderHeader();
  const home = app.home;
  $("messages").hidden = home;
  $("composer-wrap").hidden = home;
  $("home-pane").hidden = !home;
  if (home) renderHome();
  else renderTimeline();
  renderThread();
  renderModal();
  const current = conversations().find((c) => c.id === app.channel);
  const shown = current ? (current.kind === "im" ? current.name : `#${current.name}`) : "";
  document.title = home ? "Home · CareQueue sandbox" : `${shown ? `${shown} · ` : ""}CareQueue sandbox`;
  $("composer").placeholder = shown ? `Message ${shown} — type / for commands` : "Message — type / for commands";
}

// --------------------------------------------------------------------------- composer

function commandsList() {
  return app.state?.commands ?? [];
}

async function send(textarea, threadTs) {
  const text = textarea.value.trim();
  if (!text || !app.channel) return;
  let data;
  if (text.startsWith("/")) {
    const [, command, rest] = text.match(/^(\/\S*)\s*([\s\S]*)$/);
    const known = commandsList().map((c) => c.command);
    if (known.length && !known.includes(command)) {
      toast(`${command} is not a valid command. Try ${known.join(", ")}.`, "error");
      return;
    }
    data = await post("/sandbox/command", { user: app.user, channel: app.channel, command, text: rest.trim() });
  } else {
    const body = { user: app.user, channel: app.channel, text };
    if (threadTs) body.thread_ts = threadTs;
    data = await post("/sandbox/post", body);
  }
  if (data) {
    textarea.value = "";
    autosize(textarea);
    updateHints();
  }
}

function autosize(textarea) {
  textarea.style.height = "auto";
  textarea.style.height = `${Math.min(textarea.scrollHeight, 200)}px`;
}

function updateHints() {
  const box = $("command-hints");
  const value = $("composer").value;
  const match = value.match(/^\/(\S*)$/);
  if (!match) {
    box.hidden = true;
    return;
  }
  const hits = commandsList().filter((c) => c.command.startsWith(`/${match[1]}`));
  box.replaceChildren(
    ...hits.map((c) =>
      h(
        "button.command-hint",
        {
          type: "button",
          "data-testid": `command-hint-${c.command.slice(1)}`,
          onclick: () => {
            $("composer").value = `${c.command} `;
            updateHints();
            $("composer").focus();
          },
        },
        h("span.command-name", {}, c.command),
        c.usage_hint ? h("span.command-usage", {}, c.usage_hint) : null,
        c.description ? h("span.command-description", {}, c.description) : null,
      ),
    ),
  );
  box.hidden = hits.length === 0;
}

function wireComposer(textarea, button, threadTs) {
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send(textarea, threadTs());
    } else if (event.key === "Tab" && textarea.id === "composer" && !$("command-hints").hidden) {
      const first = $("command-hints").querySelector("button");
      if (first) {
        event.preventDefault();
        first.click();
      }
    }
  });
  textarea.addEventListener("input", () => {
    autosize(textarea);
    if (textarea.id === "composer") updateHints();
  });
  button.addEventListener("click", () => send(textarea, threadTs()));
}

// --------------------------------------------------------------------------- start

function start() {
  readHash();
  wireComposer($("composer"), $("composer-send"), () => null);
  wireComposer($("thread-composer"), $("thread-send"), () => app.thread);
  $("thread-close").addEventListener("click", () => {
    app.thread = null;
    render();
  });
  $("user-switcher").addEventListener("change", (event) => {
    app.user = event.target.value;
    app.thread = null;
    closeMenu();
    forgetPersonalState();
    render();
    if (app.home) openHome();
    else refresh(true);
  });
  $("shortcuts-toggle").addEventListener("click", (event) => {
    event.stopPropagation();
    openMenu($("shortcuts-menu"), $("shortcuts-toggle"));
  });
  $("slack-outage").addEventListener("click", () =>
    post("/sandbox/slack", { action: app.state?.slack?.down ? "up" : "down" }),
  );
  for (const button of document.querySelectorAll("[data-clock]")) {
    button.addEventListener("click", () => post("/sandbox/clock", JSON.parse(button.dataset.clock)));
  }
  $("toast").addEventListener("click", () => ($("toast").hidden = true));
  pollLoop();
}

start();
