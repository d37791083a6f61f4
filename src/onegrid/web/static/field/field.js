/* OneGrid grid-worker app: installs the service worker, draws my grid, and keeps an outbox.
 *
 * A report is first written to IndexedDB with a client-made idempotency key (a UUID) and its photo as
 * a Blob, then posted; it leaves the outbox only when the server has answered with its matter. Posting
 * is retried when the browser says it is online again and every RETRY_MS, so a report made without a
 * network arrives when the network returns, and a report whose answer was lost is sent again with
 * the same key, for which the server returns the same matter: it arrives once. */
(() => {
  "use strict";
  const me = document.getElementById("field-script");
  const RETRY_MS = Number(me?.dataset.retryMs) || 15000;
  const DB = "onegrid-field";
  const STORE = "outbox";
  const SENT_KEY = "onegrid-field-sent";

  if ("serviceWorker" in navigator && me) {
    navigator.serviceWorker.register(me.dataset.sw, { scope: me.dataset.scope }).catch(() => {});
  }

  /* ---- online badge ------------------------------------------------------------------------ */
  const badge = document.getElementById("online");
  const showOnline = () => {
    if (!badge) return;
    badge.textContent = navigator.onLine ? badge.dataset.on : badge.dataset.off;
    badge.classList.toggle("off", !navigator.onLine);
  };
  window.addEventListener("online", showOnline);
  window.addEventListener("offline", showOnline);
  showOnline();

  /* ---- my grid ----------------------------------------------------------------------------- */
  const gridMap = document.getElementById("grid-map");
  if (gridMap && window.L) {
    const map = L.map(gridMap, { zoomSnap: 0.5 });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com" hreflang="en">Leaflet</a>');
    if (gridMap.dataset.tileUrl) {
      L.tileLayer(gridMap.dataset.tileUrl, { attribution: gridMap.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    fetch(gridMap.dataset.geojson, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((c) => {
        const layer = L.geoJSON(c, {
          style: { className: "my-grid", color: "#0b3d75", weight: 3, fillColor: "#2f6db5", fillOpacity: 0.25 },
          onEachFeature: (f, lyr) =>
            lyr.bindTooltip(String(f.properties.name), { permanent: true, direction: "center", className: "grid-label" }),
        }).addTo(map);
        if (c.features.length) map.fitBounds(layer.getBounds(), { padding: [16, 16] });
        gridMap.dataset.grids = String(c.features.length);
      })
      .catch(() => { gridMap.dataset.grids = "error"; });
  }

  /* ---- the outbox -------------------------------------------------------------------------- */
  const open = () =>
    new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  const tx = async (mode, work) => {
    const db = await open();
    return new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const result = work(t.objectStore(STORE));
      t.oncomplete = () => { db.close(); resolve(result && "result" in result ? result.result : undefined); };
      t.onerror = () => { db.close(); reject(t.error); };
    });
  };
  const all = () => tx("readonly", (s) => s.getAll());
  const put = (record) => tx("readwrite", (s) => s.put(record));
  const remove = (key) => tx("readwrite", (s) => s.delete(key));

  const uuid = () => {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  const csrf = () => {
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
    if (cookie) return decodeURIComponent(cookie.split("=")[1]);
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  };
  const fill = (template, values) => String(template).replace(/\{(\w+)\}/g, (w, k) => (k in values ? values[k] : w));
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  const form = document.getElementById("field-report");
  const texts = form ? form.dataset : {};
  const statusBox = document.getElementById("report-status");
  const say = (text) => {
    if (!statusBox) return;
    statusBox.textContent = text;
    statusBox.hidden = !text;
  };

  const sentList = () => JSON.parse(localStorage.getItem(SENT_KEY) || "[]");
  const drawSent = () => {
    const list = document.getElementById("sent");
    if (!list) return;
    list.innerHTML = sentList()
      .map((s) => `<li><a href="${esc(s.url)}"><strong>${esc(s.title)}</strong><span class="code">${esc(s.number)}</span>${s.code ? `<span class="code">${esc(s.code)}</span>` : ""}</a></li>`)
      .join("");
  };
  const drawOutbox = async () => {
    const list = document.getElementById("outbox");
    const box = document.getElementById("outbox-box");
    if (!list || !box) return;
    const records = await all().catch(() => []);
    box.hidden = records.length === 0;
    list.innerHTML = records
      .map((r) => `<li data-key="${esc(r.key)}"><div><strong>${esc(r.fields.title)}</strong>` +
        `<time datetime="${esc(r.made)}">${esc(new Date(r.made).toLocaleString())}</time>` +
        (r.error ? `<span class="error">${esc(fill(texts.failed || "{message}", { message: r.error }))}</span>` +
          `<button type="button" class="button danger" data-discard="${esc(r.key)}">${esc(texts.discard || "×")}</button>` : "") +
        `</div></li>`)
      .join("");
    list.dataset.count = String(records.length);
  };
  document.addEventListener("click", async (e) => {
    const key = e.target instanceof Element ? e.target.getAttribute("data-discard") : null;
    if (!key) return;
    await remove(key);
    drawOutbox();
  });

  let flushing = false;
  const flush = async () => {
    if (flushing || !navigator.onLine) return;
    flushing = true;
    try {
      const records = await all();
      for (const record of records) {
        if (record.error) continue;
        const body = new FormData();
        for (const [name, value] of Object.entries(record.fields)) body.append(name, value);
        body.append("idempotency_key", record.key);
        if (record.photo) body.append("photo", record.photo, record.photoName || "photo.jpg");
        let response;
        try {
          response = await fetch(record.url, {
            method: "POST",
            body,
            credentials: "same-origin",
            headers: { Accept: "application/json", "X-CSRFToken": csrf(), "Idempotency-Key": record.key },
          });
        } catch {
          break; // no network after all: try again later
        }
        const json = (response.headers.get("Content-Type") || "").includes("application/json");
        if (response.redirected || !json) {
          break; // signed out (sent to the sign-in page): keep it until the worker signs in again
        }
        if (response.status === 200 || response.status === 201) {
          const answer = await response.json();
          const sent = sentList();
          sent.unshift({ number: answer.number, code: answer.code, url: answer.url, title: record.fields.title });
          localStorage.setItem(SENT_KEY, JSON.stringify(sent.slice(0, 20)));
          await remove(record.key);
          say(fill(response.status === 201 ? texts.sent : texts.again, answer));
        } else if (response.status >= 400 && response.status < 500 && response.status !== 401 && response.status !== 403 && response.status !== 429) {
          const answer = await response.json().catch(() => ({}));
          record.error = answer.detail || `HTTP ${response.status}`;
          await put(record);
        } else {
          break; // signed out, throttled or a server error: keep it and retry later
        }
      }
    } finally {
      flushing = false;
      drawOutbox();
      drawSent();
    }
  };

  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = {};
      for (const [name, value] of new FormData(form).entries()) {
        if (name === "photo" || name === "csrfmiddlewaretoken" || name === "idempotency_key") continue;
        fields[name] = value;
      }
      const file = form.elements.photo && form.elements.photo.files[0];
      const record = {
        key: uuid(),
        url: form.action || window.location.pathname,
        made: new Date().toISOString(),
        fields,
        photo: file ? new Blob([await file.arrayBuffer()], { type: file.type }) : null,
        photoName: file ? file.name : "",
      };
      await put(record);
      form.reset();
      say(navigator.onLine ? texts.sending : texts.saved);
      await drawOutbox();
      flush();
    });
  }

  window.addEventListener("online", flush);
  setInterval(flush, RETRY_MS);
  drawSent();
  drawOutbox().then(flush);
})();
