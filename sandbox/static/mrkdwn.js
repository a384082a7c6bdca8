// Slack text rendering for the sandbox page: mrkdwn (Slack-escaped) and plain_text.
//
// Everything is built as DOM nodes with textContent; nothing here ever assigns innerHTML,
// so text from the app (patient names, summaries) can never become markup.
//
// mrkdwn, as Slack reads it:
//   1. `<…>` are control sequences (mentions, links, dates); a literal `<`, `>` or `&`
//      arrives escaped as `&lt;`, `&gt;`, `&amp;`.
//   2. Outside control sequences, unescape those three entities.
//   3. Then *bold*, _italic_, ~strike~, `code`, ```preformatted```, "> " quotes and newlines.

const EMOJI = {
  white_check_mark: "✅",
  heavy_check_mark: "✔️",
  ballot_box_with_check: "☑️",
  hourglass_flowing_sand: "⏳",
  hourglass: "⌛",
  warning: "⚠️",
  rotating_light: "🚨",
  triangular_flag_on_post: "🚩",
  x: "❌",
  no_entry: "⛔",
  no_entry_sign: "🚫",
  exclamation: "❗",
  heavy_exclamation_mark: "❗",
  question: "❓",
  information_source: "ℹ️",
  bell: "🔔",
  telephone_receiver: "📞",
  phone: "☎️",
  telephone: "☎️",
  calendar: "📆",
  date: "📅",
  spiral_calendar_pad: "🗓️",
  alarm_clock: "⏰",
  clock3: "🕒",
  stopwatch: "⏱️",
  red_circle: "🔴",
  large_orange_circle: "🟠",
  large_yellow_circle: "🟡",
  large_green_circle: "🟢",
  large_blue_circle: "🔵",
  white_circle: "⚪",
  black_circle: "⚫",
  memo: "📝",
  pencil: "📝",
  pushpin: "📌",
  clipboard: "📋",
  inbox_tray: "📥",
  outbox_tray: "📤",
  mailbox_with_mail: "📬",
  envelope: "✉️",
  email: "📧",
  speech_balloon: "💬",
  lock: "🔒",
  unlock: "🔓",
  hospital: "🏥",
  stethoscope: "🩺",
  pill: "💊",
  ambulance: "🚑",
  eyes: "👀",
  wave: "👋",
  raised_hand: "✋",
  "+1": "👍",
  thumbsup: "👍",
  "-1": "👎",
  tada: "🎉",
  zzz: "💤",
  repeat: "🔁",
  arrow_right: "➡️",
  arrow_left: "⬅️",
  arrow_up: "⬆️",
  arrow_down: "⬇️",
  bust_in_silhouette: "👤",
  busts_in_silhouette: "👥",
  house: "🏠",
  sunrise: "🌅",
  crescent_moon: "🌙",
  fire: "🔥",
  star: "⭐",
  sos: "🆘",
  link: "🔗",
  page_facing_up: "📄",
  fax: "📠",
  globe_with_meridians: "🌐",
  credit_card: "💳",
  moneybag: "💰",
  file_folder: "📁",
  mag: "🔍",
  construction: "🚧",
  checkered_flag: "🏁",
};

const EMOJI_PATTERN = /:([a-z0-9_+-]+):/g;

/** Replace the shortcodes this page knows (":warning:") with their emoji; others stay as written. */
export function emojify(text) {
  return text.replace(EMOJI_PATTERN, (whole, name) => EMOJI[name] ?? whole);
}

/** `&lt;` `&gt;` `&amp;` back to `<` `>` `&` (in that order, so `&amp;lt;` becomes `&lt;`). */
export function unescapeSlack(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

const SAFE_URL = /^(https?:|mailto:|tel:)/i;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function chip(text, kind, extraClass) {
  const node = el("span", `mention mention-${kind}${extraClass ? " " + extraClass : ""}`, text);
  return node;
}

function link(href, label) {
  const a = el("a", "mrkdwn-link", label);
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.title = href;
  return a;
}

/** One control sequence (the text between `<` and `>`) as a DOM node. */
function controlNode(raw, lookups) {
  const bar = raw.indexOf("|");
  const target = bar === -1 ? raw : raw.slice(0, bar);
  const label = bar === -1 ? null : unescapeSlack(raw.slice(bar + 1));

  if (target.startsWith("@")) {
    const id = target.slice(1);
    const name = lookups.user?.(id) ?? label ?? id;
    return chip(`@${name}`, "user", id === lookups.me ? "mention-me" : "");
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    const name = label ?? lookups.channel?.(id) ?? id;
    return chip(`#${name}`, "channel");
  }
  if (target.startsWith("!")) {
    const command = target.slice(1);
    if (["here", "channel", "everyone"].includes(command)) {
      return chip(`@${command}`, "broadcast");
    }
    if (command.startsWith("subteam^")) {
      const name = label ?? `@${command.slice("subteam^".length)}`;
      return chip(name.startsWith("@") ? name : `@${name}`, "group");
    }
    if (command.startsWith("date^")) {
      return dateNode(command, label, lookups);
    }
    return document.createTextNode(label ?? `<${unescapeSlack(raw)}>`);
  }
  const href = unescapeSlack(target);
  if (SAFE_URL.test(href)) {
    return link(href, label ?? href.replace(/^mailto:|^tel:/i, ""));
  }
  // Not something Slack would link (or an unsafe scheme): show what was written.
  return document.createTextNode(label ?? `<${unescapeSlack(raw)}>`);
}

function dateNode(command, fallback, lookups) {
  const [, epoch] = command.split("^");
  let text = fallback;
  if (text == null) {
    const when = new Date(Number(epoch) * 1000);
    text = Number.isFinite(when.getTime())
      ? when.toLocaleString("en-US", { timeZone: lookups.timeZone || undefined })
      : command;
  }
  const node = el("span", "mrkdwn-date", text);
  const when = new Date(Number(epoch) * 1000);
  if (Number.isFinite(when.getTime())) node.title = when.toISOString();
  return node;
}

/**
 * Split Slack-escaped mrkdwn into a flat sequence: single characters (already unescaped)
 * and control objects `{control: raw}`. Formatting is then parsed over this sequence, so
 * `*<@U1>*` renders a bold mention while a control sequence is never split.
 */
function tokenize(text) {
  const seq = [];
  const pattern = /<([^<>]*)>/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    pushText(seq, text.slice(last, match.index));
    seq.push({ control: match[1] });
    last = match.index + match[0].length;
  }
  pushText(seq, text.slice(last));
  return seq;
}

function pushText(seq, escaped) {
  if (!escaped) return;
  for (const ch of unescapeSlack(escaped)) seq.push(ch);
}

const WORD = /[\p{L}\p{N}]/u;
const SPACE = /\s/;

function isWordChar(item) {
  return typeof item === "string" && WORD.test(item);
}
function isSpace(item) {
  return typeof item === "string" && SPACE.test(item);
}

/** Index of `marker` closing a span opened at `open`, on the same line, or -1. */
function findClose(seq, open, end, marker) {
  for (let j = open + 2; j < end; j++) {
    const item = seq[j];
    if (item === "\n") return -1;
    if (item !== marker) continue;
    if (isSpace(seq[j - 1])) continue;
    if (j + 1 < end && isWordChar(seq[j + 1])) continue;
    return j;
  }
  return -1;
}

function findSequence(seq, from, end, marker) {
  outer: for (let j = from; j <= end - marker.length; j++) {
    for (let k = 0; k < marker.length; k++) {
      if (seq[j + k] !== marker[k]) continue outer;
    }
    return j;
  }
  return -1;
}

const SPANS = { "*": "strong", _: "em", "~": "s" };

class Builder {
  constructor(parent, lookups) {
    this.parent = parent;
    this.lookups = lookups;
    this.buffer = "";
  }
  flush() {
    if (this.buffer) {
      this.parent.append(document.createTextNode(emojify(this.buffer)));
      this.buffer = "";
    }
  }
  text(ch) {
    if (ch === "\n") {
      this.flush();
      this.parent.append(document.createElement("br"));
    } else {
      this.buffer += ch;
    }
  }
  node(node) {
    this.flush();
    this.parent.append(node);
  }
}

function literal(seq, start, end, lookups, parent) {
  // Inside code: no formatting and no emoji, but control sequences still render.
  let buffer = "";
  for (let i = start; i < end; i++) {
    const item = seq[i];
    if (typeof item === "string") {
      buffer += item;
    } else {
      if (buffer) parent.append(document.createTextNode(buffer));
      buffer = "";
      parent.append(controlNode(item.control, lookups));
    }
  }
  if (buffer) parent.append(document.createTextNode(buffer));
}

function parseInline(seq, start, end, lookups, parent) {
  const out = new Builder(parent, lookups);
  let i = start;
  while (i < end) {
    const item = seq[i];
    if (typeof item !== "string") {
      out.node(controlNode(item.control, lookups));
      i += 1;
      continue;
    }
    if (item === "`") {
      if (seq[i + 1] === "`" && seq[i + 2] === "`") {
        const close = findSequence(seq, i + 3, end, "```");
        if (close !== -1) {
          const pre = el("pre", "mrkdwn-pre");
          let from = i + 3;
          if (seq[from] === "\n") from += 1;
          const to = close > from && seq[close - 1] === "\n" ? close - 1 : close;
          literal(seq, from, to, lookups, pre);
          out.node(pre);
          i = close + 3;
          if (seq[i] === "\n") i += 1;
          continue;
        }
      } else {
        const close = findSequence(seq, i + 1, end, "`");
        if (close > i + 1 && !seq.slice(i + 1, close).includes("\n")) {
          const code = el("code", "mrkdwn-code");
          literal(seq, i + 1, close, lookups, code);
          out.node(code);
          i = close + 1;
          continue;
        }
      }
    }
    if (item in SPANS) {
      const before = i === start ? undefined : seq[i - 1];
      const opens = !isWordChar(before) && i + 1 < end && !isSpace(seq[i + 1]) && seq[i + 1] !== "\n";
      if (opens) {
        const close = findClose(seq, i, end, item);
        if (close !== -1) {
          const span = el(SPANS[item], `mrkdwn-${SPANS[item]}`);
          parseInline(seq, i + 1, close, lookups, span);
          out.node(span);
          i = close + 1;
          continue;
        }
      }
    }
    out.text(item);
    i += 1;
  }
  out.flush();
}

/** Split the sequence into lines; runs of lines starting with ">" become a blockquote. */
function parseBlocks(seq, lookups, parent) {
  // Preformatted blocks may hold lines starting with ">", so handle them first.
  let i = 0;
  let lineStart = 0;
  const lines = [];
  while (i <= seq.length) {
    if (seq[i] === "`" && seq[i + 1] === "`" && seq[i + 2] === "`") {
      const close = findSequence(seq, i + 3, seq.length, "```");
      if (close !== -1) {
        i = close + 3;
        continue;
      }
    }
    if (i === seq.length || seq[i] === "\n") {
      lines.push([lineStart, i]);
      lineStart = i + 1;
    }
    i += 1;
  }
  let index = 0;
  while (index < lines.length) {
    const [s, e] = lines[index];
    if (seq[s] === ">") {
      const quote = el("blockquote", "mrkdwn-quote");
      let first = true;
      while (index < lines.length && seq[lines[index][0]] === ">") {
        const [qs, qe] = lines[index];
        if (!first) quote.append(document.createElement("br"));
        first = false;
        const from = seq[qs + 1] === " " ? qs + 2 : qs + 1;
        parseInline(seq, from, qe, lookups, quote);
        index += 1;
      }
      parent.append(quote);
      continue;
    }
    parseInline(seq, s, e, lookups, parent);
    index += 1;
    const endsInBlock = ["PRE", "BLOCKQUOTE"].includes(parent.lastChild?.nodeName);
    if (index < lines.length && seq[lines[index][0]] !== ">" && !endsInBlock) {
      parent.append(document.createElement("br"));
    }
  }
}

/**
 * Render Slack-escaped mrkdwn into a <span>.
 * lookups: {user(id) -> display name | null, channel(id) -> name | null, me, timeZone}.
 */
export function renderMrkdwn(text, lookups = {}) {
  const span = el("span", "mrkdwn");
  parseBlocks(tokenize(String(text ?? "")), lookups, span);
  return span;
}

/** A plain_text object: shown literally; `emoji` (default true) converts known shortcodes. */
export function renderPlain(textObject) {
  const raw = String(textObject?.text ?? "");
  const text = textObject?.emoji === false ? raw : emojify(raw);
  return el("span", "plain-text", text);
}

/** Any text object (plain_text or mrkdwn), or a bare string treated as mrkdwn. */
export function renderText(textObject, lookups) {
  if (textObject == null) return el("span");
  if (typeof textObject === "string") return renderMrkdwn(textObject, lookups);
  if (textObject.type === "mrkdwn") return renderMrkdwn(textObject.text, lookups);
  return renderPlain(textObject);
}

/** A text object as a plain string (for <option>, titles and aria labels). */
export function textOf(textObject) {
  if (textObject == null) return "";
  if (typeof textObject === "string") return textObject;
  const raw = String(textObject.text ?? "");
  if (textObject.type === "mrkdwn") return unescapeSlack(raw.replace(/<[^<>]*\|([^<>]*)>/g, "$1"));
  return textObject.emoji === false ? raw : emojify(raw);
}
