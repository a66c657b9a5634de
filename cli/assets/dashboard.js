// The dashboard's live parts: health and restarts, live logs, and the API form. Every action
// carries the per-run token of the page (the server refuses actions without it).
"use strict";

const token = document.querySelector('meta[name="svcgen-dashboard"]').content;

async function act(path, body) {
  const answer = await fetch(path, {
    method: "POST",
    headers: { "x-svcgen-dashboard": token, "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  return answer;
}

// Health, pids and restarts, every two seconds.
async function refreshState() {
  try {
    const state = await (await fetch("/data/state")).json();
    for (const p of state.processes) {
      for (const row of document.querySelectorAll(`tr[data-service="${CSS.escape(p.name)}"]`)) {
        const health = row.querySelector('[data-field="health"]');
        health.textContent = p.health;
        health.className = `health ${p.class}`;
        row.querySelector('[data-field="pid"]').textContent = p.pid ?? "-";
        row.querySelector('[data-field="restarts"]').textContent = p.restarts;
      }
      for (const node of document.querySelectorAll(`g.node[data-service="${CSS.escape(p.name)}"]`)) {
        node.setAttribute("class", `node ${p.class}`);
      }
    }
  } catch (_) { /* up is stopping */ }
}
if (document.querySelector("#services")) {
  setInterval(refreshState, 2000);
  for (const button of document.querySelectorAll("button.restart")) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      await act(`/actions/restart/${encodeURIComponent(button.dataset.service)}`);
      await refreshState();
      setTimeout(() => { button.disabled = false; }, 2000);
    });
  }
}

// Live logs: new lines matching the page's filter, every second.
const logs = document.querySelector("table#logs");
if (logs) {
  setInterval(async () => {
    try {
      const url = `${logs.dataset.live}?after=${logs.dataset.after}&${logs.dataset.query}`;
      const data = await (await fetch(url)).json();
      if (data.rows) {
        logs.querySelector("tbody").insertAdjacentHTML("beforeend", data.rows);
        const rows = logs.querySelectorAll("tbody tr");
        for (let i = 0; i < rows.length - 2000; i++) rows[i].remove();
      }
      logs.dataset.after = data.last;
    } catch (_) { /* up is stopping */ }
  }, 1000);
}

// The API form: fills the path, sends through the dashboard, shows the answer.
for (const section of document.querySelectorAll("section.operation")) {
  const form = section.querySelector("form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = section.querySelector(".answer");
    let path = section.dataset.path;
    const query = new URLSearchParams();
    for (const input of form.querySelectorAll("input[data-in]")) {
      if (input.dataset.in === "path") {
        path = path.replace(`{${input.dataset.name}}`, encodeURIComponent(input.value));
      } else if (input.value !== "") {
        query.append(input.dataset.name, input.value);
      }
    }
    const headers = {};
    const bodyInput = form.querySelector("textarea[data-body]");
    let body = null;
    if (bodyInput) {
      body = bodyInput.value;
      headers["content-type"] = bodyInput.dataset.body === "json" ? "application/json" : "application/octet-stream";
    }
    const scheme = form.querySelector("select[data-credential]").value;
    if (scheme) {
      const credential = await (await act(`/actions/token/${encodeURIComponent(scheme)}`)).json();
      headers[credential.header] = credential.value;
    }
    const qs = query.toString();
    const answer = await act(`/actions/call/${encodeURIComponent(section.dataset.service)}`, {
      method: section.dataset.method, path: qs ? `${path}?${qs}` : path, headers, body,
    });
    out.hidden = false;
    out.replaceChildren();
    if (!answer.ok) {
      out.textContent = `The dashboard could not call it: ${answer.status} ${await answer.text()}`;
      return;
    }
    const reply = await answer.json();
    const head = document.createElement("p");
    head.className = "status";
    head.textContent = `${reply.status}`;
    if (reply.request_id) {
      head.append(" · request ");
      const link = document.createElement("a");
      link.href = `/traces?request=${encodeURIComponent(reply.request_id)}`;
      link.textContent = reply.request_id;
      link.className = "request-id";
      head.append(link);
    }
    const pre = document.createElement("pre");
    let text = reply.body;
    try { text = JSON.stringify(JSON.parse(reply.body), null, 2); } catch (_) { /* not JSON */ }
    pre.textContent = text;
    out.append(head, pre);
  });
}
