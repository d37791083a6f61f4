/* OneGrid area pages: the map of an area with its children, and the "locate a point" form.
 *
 * The page gives everything as data: the area's outline, the translated texts and the caller's
 * scope (JSON script elements), the children's GeoJSON URL and the tile URL (data attributes).
 * Nothing is requested from anywhere but this server unless the page names a tile server.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const readJSON = (id) => {
    const el = $(id);
    return el ? JSON.parse(el.textContent) : null;
  };
  const T = readJSON("client-texts") || {};
  const scopePaths = readJSON("scope-paths") || [];
  const inScope = (path) => scopePaths.some((p) => path.startsWith(p));
  const fill = (template, values) =>
    String(template).replace(/\{(\w+)\}/g, (whole, key) => (key in values ? values[key] : whole));
  const number = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("en-US"));
  const esc = (s) =>
    String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  /* ---- the map ---------------------------------------------------------------------------- */

  const mapEl = $("map");
  let map = null;
  let picking = false;
  let pointLayer = null;
  let gridLayer = null;
  const pickButton = $("locate-pick");

  const setPicking = (on) => {
    picking = on;
    if (pickButton) pickButton.setAttribute("aria-pressed", String(on));
    if (mapEl) mapEl.classList.toggle("picking", on);
  };

  // A name is written on an area only where the area is wide enough on screen to carry it.
  const labelled = [];
  const placeLabels = () => {
    for (const { layer, tip, length } of labelled) {
      const b = layer.getBounds();
      const width = map.latLngToContainerPoint(b.getNorthEast()).x - map.latLngToContainerPoint(b.getSouthWest()).x;
      const fits = width > 12 + 13 * length;
      if (fits && !map.hasLayer(tip)) tip.addTo(map);
      if (!fits && map.hasLayer(tip)) tip.remove();
    }
  };
  const label = (layer, properties, className = "area-label") => {
    const at = properties.centroid ? [properties.centroid[1], properties.centroid[0]] : layer.getBounds().getCenter();
    const tip = L.tooltip({ permanent: true, direction: "center", className, interactive: false })
      .setLatLng(at)
      .setContent(esc(properties.name));
    labelled.push({ layer, tip, length: String(properties.name).length });
  };

  if (mapEl && window.L) {
    map = L.map(mapEl, { zoomSnap: 0.25, zoomDelta: 0.5, minZoom: 3, zoomControl: false });
    L.control.zoom({ zoomInTitle: T.zoomIn, zoomOutTitle: T.zoomOut }).addTo(map);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com" hreflang="en">Leaflet</a>');
    if (mapEl.dataset.tileUrl) {
      L.tileLayer(mapEl.dataset.tileUrl, { attribution: mapEl.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    const outline = L.geoJSON(readJSON("area-outline"), {
      interactive: false,
      style: { className: "area-outline", color: "#0b3d75", weight: 3, opacity: 0.9, fillColor: "#2f6db5", fillOpacity: 0.3 },
    }).addTo(map);
    const neighboured = Boolean(mapEl.dataset.neighbours);
    map.fitBounds(outline.getBounds(), { padding: neighboured ? [60, 60] : [16, 16] });
    map.on("zoomend", placeLabels);

    // Neighbours (the other grids of the same village) in grey under the area, for orientation.
    if (mapEl.dataset.neighbours) {
      fetch(mapEl.dataset.neighbours, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : { features: [] }))
        .then((collection) => {
          const others = collection.features.filter((f) => f.properties.code !== mapEl.dataset.code);
          const layer = L.geoJSON(others, {
            style: { className: "area-neighbour", color: "#8a96a3", weight: 1, fillColor: "#d5dce4", fillOpacity: 0.7 },
            onEachFeature: (f, lyr) => {
              lyr.bindTooltip(esc(f.properties.name), { sticky: true, className: "area-tip" });
              lyr.on("click", () => {
                if (!picking) window.location.assign(f.properties.url);
              });
              label(lyr, f.properties, "area-label neighbour");
            },
          }).addTo(map);
          layer.bringToBack();
          placeLabels();
        })
        .catch(() => {});
    }

    map.on("click", (e) => {
      if (picking) pick(e.latlng);
    });

    fetch(mapEl.dataset.geojson, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        return r.json();
      })
      .then((collection) => {
        const children = L.geoJSON(collection, {
          style: (f) => ({
            className: "area-child",
            color: "#ffffff",
            weight: 1.5,
            opacity: 1,
            fillColor: f.properties.colour || "#4e79a7",
            fillOpacity: 0.6,
          }),
          onEachFeature: (f, layer) => {
            const p = f.properties;
            layer.bindTooltip(
              `<strong>${esc(p.name)}</strong><br>${esc(fill(T.tip.code, { value: p.code }))}` +
                `<br>${esc(fill(T.tip.level, { value: p.level_label }))}` +
                `<br>${esc(fill(T.tip.population, { value: number(p.population) }))}`,
              { sticky: true, className: "area-tip", direction: "top", offset: [0, -8] },
            );
            layer.on({
              mouseover: () => layer.setStyle({ color: "#0b3d75", weight: 3, fillOpacity: 0.75 }),
              mouseout: () => children.resetStyle(layer),
              click: () => {
                if (!picking) window.location.assign(p.url);
              },
            });
            label(layer, p);
          },
        }).addTo(map);
        if (collection.features.length) {
          outline.setStyle({ fillOpacity: 0 });
          outline.bringToFront();
        } else {
          outline.eachLayer((layer) => label(layer, { name: mapEl.dataset.name }, "area-label own"));
        }
        placeLabels();
        mapEl.dataset.children = String(collection.features.length);
      })
      .catch(() => {
        mapEl.dataset.children = "error";
      });
  }

  /* ---- locate a point ---------------------------------------------------------------------- */

  const form = $("locate-form");
  if (!form) return;
  const fields = { lon: form.elements.lon, lat: form.elements.lat, crs: form.elements.crs };
  const errorBox = $("locate-error");
  const resultBox = $("locate-result");
  const areaUrl = (code) => form.dataset.areaUrl.replace("__code__", encodeURIComponent(code));
  const areaApi = (code) => form.dataset.areaApi.replace("__code__", encodeURIComponent(code));

  const clear = () => {
    errorBox.hidden = true;
    errorBox.textContent = "";
    resultBox.textContent = "";
    for (const input of Object.values(fields)) input.removeAttribute("aria-invalid");
  };
  const fail = (messages, invalid = []) => {
    resultBox.textContent = "";
    errorBox.innerHTML = messages.length > 1 ? `<ul>${messages.map((m) => `<li>${esc(m)}</li>`).join("")}</ul>` : esc(messages[0]);
    errorBox.hidden = false;
    for (const name of invalid) fields[name].setAttribute("aria-invalid", "true");
    if (invalid.length) fields[invalid[0]].focus();
  };

  // A 422 body is a Problem {"code", "detail", "field"}; request validation adds every error as
  // "errors": [{loc, type, msg, ctx}], which carry the type and bounds the message is built from.
  const invalid = (body) => {
    const problems = Array.isArray(body.errors) && body.errors.length
      ? body.errors.map((d) => ({ field: String(d.loc[d.loc.length - 1]), type: d.type, message: d.msg, ctx: d.ctx || {} }))
      : [{ field: body.field || "", type: "other", message: body.detail || "", ctx: {} }];
    const messages = problems.map((p) =>
      fill(T.errors[p.type] || T.errors.other, { ...p.ctx, field: T.fields[p.field] || p.field, message: p.message }),
    );
    fail(messages, problems.map((p) => p.field).filter((name) => name in fields));
  };

  const chainPath = (codes, upTo) => `/${codes.slice(0, upTo + 1).join("/")}/`;
  const link = (code, name, path) =>
    inScope(path) ? `<a href="${esc(areaUrl(code))}">${esc(name)}</a>` : `${esc(name)} <span class="muted">${esc(T.outOfScope)}</span>`;

  const found = (body) => {
    const grid = body.grid;
    const codes = grid.path.split("/").filter(Boolean);
    const chain = body.ancestors
      .map((a, i) => `<li>${inScope(chainPath(codes, i)) ? `<a href="${esc(areaUrl(a.code))}">${esc(a.name)}</a>` : esc(a.name)}</li>`)
      .join("");
    const micro = body.micro_grid
      ? `<p><strong>${esc(T.microGrid)}</strong> ${link(body.micro_grid.code, body.micro_grid.name, body.micro_grid.path)} <span class="chip code">${esc(body.micro_grid.code)}</span></p>`
      : "";
    resultBox.innerHTML =
      `<div class="found" data-grid="${esc(grid.code)}"><p><strong>${esc(T.grid)}</strong> ${link(grid.code, grid.name, grid.path)} ` +
      `<span class="chip code">${esc(grid.code)}</span></p>${micro}` +
      `<ol class="chain" aria-label="${esc(T.chain)}">${chain}</ol></div>`;
    if (!map) return;
    if (pointLayer) pointLayer.remove();
    if (gridLayer) gridLayer.remove();
    pointLayer = null;
    gridLayer = null;
    if (body.crs === "wgs84") {
      pointLayer = L.circleMarker([body.lat, body.lon], {
        radius: 7, color: "#ffffff", weight: 2, fillColor: "#c8102e", fillOpacity: 1, interactive: false,
      }).addTo(map);
    }
    if (inScope(grid.path)) {
      fetch(areaApi(grid.code), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : null))
        .then((detail) => {
          if (!detail) return;
          gridLayer = L.geoJSON(detail.geometry, {
            interactive: false,
            style: { className: "located-grid", color: "#e8a317", weight: 4, fillOpacity: 0.1, fillColor: "#e8a317" },
          }).addTo(map);
          const bounds = gridLayer.getBounds();
          if (!map.getBounds().contains(bounds)) map.fitBounds(bounds.extend(map.getBounds()));
          if (pointLayer) pointLayer.bringToFront();
        })
        .catch(() => {});
    }
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    resultBox.textContent = T.locating;
    const query = new URLSearchParams({ lon: fields.lon.value.trim(), lat: fields.lat.value.trim(), crs: fields.crs.value });
    let response;
    let body = {};
    try {
      response = await fetch(`${form.action}?${query}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
      body = await response.json().catch(() => ({}));
    } catch {
      fail([T.failed]);
      return;
    }
    if (response.ok) found(body);
    else if (response.status === 422) invalid(body);
    else if (response.status === 404) fail([T.noGrid]);
    else if (response.status === 401 || response.status === 403) fail([T.forbidden]);
    else fail([T.failed]);
  });

  const pick = (latlng) => {
    fields.lon.value = latlng.lng.toFixed(6);
    fields.lat.value = latlng.lat.toFixed(6);
    fields.crs.value = "wgs84";
    setPicking(false);
    form.requestSubmit();
  };

  if (pickButton && map) {
    pickButton.addEventListener("click", () => setPicking(!picking));
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && picking) setPicking(false);
    });
  }
})();
