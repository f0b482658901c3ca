// The dashboard: reads /_emulator/state, follows the journal stream, posts control calls.
// No build step and no CDN: plain JavaScript served by the emulator itself.
"use strict";

const base = new URL("./", window.location.href);       // .../_emulator/
const token = new URLSearchParams(window.location.search).get("token") || "";
const STATES = {
  0: "No SIM", 1: "Idle SIM", 2: "Registering", 3: "OK", 4: "In Call", 5: "No Balance",
  6: "Register Failed", 7: "Locked by Device", 8: "Blocked by Operator", 9: "SIM Read Error",
  11: "SIM Detected", 12: "Locked by User", 13: "Port Calling Port", 14: "Waiting for Port Call",
};
let selected = null;
let lastState = null;

function api(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers["X-Emulator-Token"] = token;
  return fetch(new URL(path, base), { ...options, headers }).then(async (resp) => {
    const doc = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(doc.reason || `HTTP ${resp.status}`);
    return doc;
  });
}

function say(text, error = false) {
  const el = document.getElementById("message");
  el.textContent = text;
  el.className = error ? "error" : "";
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function renderLegend() {
  const legend = document.getElementById("legend");
  for (const [code, name] of Object.entries(STATES)) {
    legend.append(el("span", {}, el("i", { class: `st-${code}` }), `${code} ${name}`));
  }
}

// Cards are built once and then updated in place, so keyboard focus and a click in
// progress survive the refresh every two seconds.
function buildPorts(doc) {
  const grid = document.getElementById("ports");
  const cards = doc.ports.map((port) => {
    const slots = port.slots.map((slot) => el("button", {
      type: "button", class: "slot", "data-slot": slot.slot,
      onclick: () => selectSlot(slot.slot),
    }, slot.slot.replace(/^\d+[.]?/, "") || slot.slot));
    return el("div", { class: "port", role: "row", "data-port": String(port.port) },
      el("div", { class: "head" }, el("span", {}, `Port ${port.port}`),
        el("span", { class: "hint state" }, "")),
      el("div", { class: "slots" }, ...slots),
      el("div", { class: "facts opr" }, ""),
      el("div", { class: "facts nums" }, ""),
      el("div", { class: "facts ussd", hidden: "" }, ""));
  });
  grid.replaceChildren(...cards);
}

function renderPorts(doc) {
  const grid = document.getElementById("ports");
  if (grid.childElementCount !== doc.ports.length) buildPorts(doc);
  const queues = doc.queues || {};
  doc.ports.forEach((port, index) => {
    const card = grid.children[index];
    const current = port.slots.find((s) => s.slot === port.current) || port.slots[0];
    const sim = current.sim || {};
    card.querySelector(".state").textContent = current.status;
    const buttons = card.querySelectorAll(".slot");
    port.slots.forEach((slot, i) => {
      const button = buttons[i];
      const isCurrent = slot.slot === port.current;
      button.className = `slot st-${slot.st}` + (isCurrent ? " current" : "")
        + (slot.slot === selected ? " selected" : "");
      button.dataset.st = String(slot.st);
      button.title = `${slot.slot}: ${slot.status}` + (isCurrent ? " (current)" : "");
      button.setAttribute("aria-label", `slot ${slot.slot}, ${slot.status}`
        + (isCurrent ? ", current" : ""));
    });
    const registered = current.st === 3 || current.st === 4 || current.st === 5;
    card.querySelector(".opr").textContent = registered && sim.operator ? sim.operator : "—";
    const queue = queues[String(port.port)];
    card.querySelector(".nums").textContent = `sig ${sim.signal ?? "–"} · bal ${sim.balance ?? "–"}`
      + (queue !== undefined ? ` · queue ${queue}` : "");
    // The port's USSD dialogue: a code waiting for the network, or a menu left open.
    const ussd = card.querySelector(".ussd");
    ussd.hidden = !port.ussd;
    ussd.textContent = port.ussd
      ? `USSD ${port.ussd.code} ${port.ussd.state} until ${clockTime(port.ussd.expires)}` : "";
    ussd.title = ussd.textContent;
  });
}

function clockTime(epoch) {
  return new Date(epoch * 1000).toISOString().slice(11, 19);
}

// A DBL GoIP's lines (the `dbl` part of /_emulator/state); absent on EJOIN devices.
let lastDbl = "";
function renderDbl(doc) {
  const panel = document.getElementById("dbl-panel");
  const lines = doc.dbl || [];
  panel.hidden = !lines.length;
  const signature = JSON.stringify(lines);  // rebuilt only when something changed
  if (signature === lastDbl) return;
  lastDbl = signature;
  const body = document.querySelector("#dbl-lines tbody");
  const rows = lines.map((line) => {
    const pending = line.pending.map((p) => `${p.keyword} ${p.recvid} ×${p.sends}`).join(", ");
    const sessions = line.sessions.map((s) => `${s.sendid}${s.authenticated ? "" : " (no password)"}: `
      + `${s.numbers.length} number(s)`).join(", ");
    const login = line.sms_login ? "Y" : "N";
    return el("tr", { "data-line": String(line.line) },
      el("td", {}, String(line.line)),
      el("td", {}, line.client_id),
      el("td", {}, line.local_port === null ? "–" : String(line.local_port)),
      el("td", {}, line.server),
      el("td", { class: `login-${login}`, "data-login": login }, login),
      el("td", {}, String(line.keepalive_count)),
      el("td", { class: "pending", title: pending }, pending ? `${line.pending.length}: ${pending}` : "0"),
      el("td", { class: "sessions", title: sessions }, sessions ? `${line.sessions.length}: ${sessions}` : "0"));
  });
  body.replaceChildren(...rows);
}

let lastTasks = "";
function renderTasks(doc) {
  const box = document.getElementById("tasks");
  const tasks = doc.tasks || [];
  // Rebuilt only when something changed, so a button keeps its focus between refreshes.
  const signature = JSON.stringify(tasks.slice(0, 50));
  if (signature === lastTasks) return;
  lastTasks = signature;
  if (!tasks.length) {
    box.replaceChildren(el("p", { class: "hint" }, "No queued tasks."));
    return;
  }
  const rows = tasks.slice(0, 50).map((task) => el("tr", {},
    el("td", {}, String(task.tid)),
    el("td", {}, task.paused ? "paused" : "running"),
    el("td", {}, `${task.sent ?? 0}/${task.total ?? "?"}`),
    el("td", {},
      el("button", { type: "button", onclick: () => taskAction(task.tid, task.paused ? "resume" : "pause") },
        task.paused ? "Resume" : "Pause"), " ",
      el("button", { type: "button", onclick: () => taskAction(task.tid, "remove") }, "Remove"))));
  box.replaceChildren(el("table", {},
    el("thead", {}, el("tr", {}, el("th", {}, "tid"), el("th", {}, "state"), el("th", {}, "sent"), el("th", {}, ""))),
    el("tbody", {}, ...rows)));
}

function render(doc) {
  lastState = doc;
  const d = doc.device;
  document.getElementById("device-name").textContent = d.name;
  document.getElementById("device-meta").textContent =
    `${d.max_ports}×${d.max_slots} · mac ${d.mac} · ssrc ${d.ssrc}` + (d.rebooting_until ? " · rebooting" : "");
  document.getElementById("clock").textContent = `${doc.clock.kind} clock ${doc.clock.iso.replace("+00:00", "Z")}`;
  document.getElementById("advance-form").hidden = doc.clock.kind !== "virtual";
  renderPorts(doc);
  renderTasks(doc);
  renderDbl(doc);
}

function refresh() {
  return api("state").then(render).catch((err) => say(err.message, true));
}

function selectSlot(slot) {
  selected = slot;
  document.getElementById("sim-slot").value = slot;
  document.getElementById("sms-port").value = slot;
  document.getElementById("call-port").value = slot.replace(/[^0-9].*$/, "");
  if (lastState) renderPorts(lastState);
}

function taskAction(tid, action) {
  api(`tasks/${tid}/${action}`, { method: "POST", body: "{}" })
    .then(() => { say(`task ${tid}: ${action}`); refresh(); })
    .catch((err) => say(err.message, true));
}

function onSubmit(id, handler) {
  document.getElementById(id).addEventListener("submit", (event) => {
    event.preventDefault();
    handler().then(refresh).catch((err) => say(err.message, true));
  });
}

onSubmit("sim-form", () => {
  const slot = document.getElementById("sim-slot").value.trim();
  const event = document.getElementById("sim-event").value;
  const raw = document.getElementById("sim-value").value;
  const body = { event };
  if (raw !== "" && event === "signal") body.value = Number(raw);
  if (raw !== "" && event === "topup") body.amount = Number(raw);
  return api(`sims/${encodeURIComponent(slot)}`, { method: "POST", body: JSON.stringify(body) })
    .then((doc) => say(`${doc.slot}: ${doc.status}`));
});

onSubmit("sms-form", () => api("sms", {
  method: "POST",
  body: JSON.stringify({
    port: document.getElementById("sms-port").value.trim(),
    sender: document.getElementById("sms-sender").value.trim(),
    text: document.getElementById("sms-text").value,
  }),
}).then(() => say("SMS injected")));

onSubmit("call-form", () => api("calls", {
  method: "POST",
  body: JSON.stringify({
    port: document.getElementById("call-port").value.trim(),
    count: Number(document.getElementById("call-count").value),
    talk: Number(document.getElementById("call-talk").value),
  }),
}).then(() => say("calls started")));

onSubmit("advance-form", () => api("clock/advance", {
  method: "POST",
  body: JSON.stringify({ seconds: Number(document.getElementById("advance-seconds").value) }),
}).then((doc) => say(`clock at ${doc.iso} (${doc.fired} timers fired)`)));

function describe(entry) {
  const time = new Date(entry.t * 1000).toISOString().slice(11, 19);
  if (entry.kind === "request") {
    return `${time} ${entry.method || ""} ${entry.path || entry.type} → ${entry.status ?? entry.outcome ?? ""}`;
  }
  if (entry.kind === "callback") {
    const body = entry.body || {};
    const what = body.port ? ` ${body.port} ${body.status || ""}` : "";
    return `${time} ⇢ ${entry.type}${what} ${entry.outcome} (${entry.url})`;
  }
  if (entry.kind === "udp") {
    const arrow = entry.dir === "out" ? "⇢" : "⇠";
    return `${time} udp ${arrow} line ${entry.line} ${entry.type} ${entry.outcome}`
      + (entry.reason ? ` (${entry.reason})` : "");
  }
  return `${time} ${entry.kind} ${entry.type}` + (entry.outcome ? ` ${entry.outcome}` : "");
}

function follow() {
  const stream = document.getElementById("stream");
  const url = new URL("journal/stream", base);
  if (token) url.searchParams.set("token", token);
  const source = new EventSource(url);
  source.onmessage = (message) => {
    const entry = JSON.parse(message.data);
    const item = el("li", { class: `${entry.kind} ${entry.outcome || ""}`, "data-type": entry.type },
      describe(entry));
    stream.prepend(item);
    while (stream.childElementCount > 300) stream.lastElementChild.remove();
    if (entry.kind !== "callback" || entry.type === "port-status") scheduleRefresh();
  };
}

let pending = null;
function scheduleRefresh() {
  if (pending) return;
  pending = setTimeout(() => { pending = null; refresh(); }, 150);
}

renderLegend();
refresh();
follow();
setInterval(refresh, 2000);
