/* OneGrid command centre: the jurisdiction map (grids coloured by open and overdue matters, matter
 * markers clustered by the server on screen-sized cells) and the small map on a matter's page.
 *
 * Everything comes from this server: GeoJSON and cluster URLs as data attributes, texts as a JSON
 * script element. Tiles only when the page names a tile server.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const readJSON = (id) => {
    const el = $(id);
    return el ? JSON.parse(el.textContent) : null;
  };
  const T = readJSON("client-texts") || {};
  const fill = (template, values) =>
    String(template || "").replace(/\{(\w+)\}/g, (whole, key) => (key in values ? values[key] : whole));
  const esc = (s) =>
    String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  const baseMap = (el) => {
    const map = L.map(el, { zoomSnap: 0.25, zoomDelta: 0.5, minZoom: 3, zoomControl: false });
    L.control.zoom({ zoomInTitle: T.zoomIn || "+", zoomOutTitle: T.zoomOut || "-" }).addTo(map);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com" hreflang="en">Leaflet</a>');
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    return map;
  };

  /* ---- the jurisdiction map ----------------------------------------------------------------- */

  // Open matters in blues, any overdue matter turns the grid red (darker with more).
  const gridColour = (p) => {
    if (p.overdue > 0) return p.overdue >= 5 ? "#b2182b" : p.overdue >= 2 ? "#d6604d" : "#e15759";
    if (p.open === 0) return "#eef2f6";
    if (p.open >= 20) return "#2171b5";
    if (p.open >= 5) return "#6baed6";
    return "#9ecae1";
  };

  const centreMap = $("centre-map");
  if (centreMap && window.L) {
    const map = baseMap(centreMap);
    const markers = L.layerGroup().addTo(map);
    const matterUrl = (number) => centreMap.dataset.matterUrl.replace("NUMBER", encodeURIComponent(number));
    let asked = 0;

    const drawClusters = () => {
      const b = map.getBounds();
      const bbox = [
        Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()), Math.min(180, b.getEast()), Math.min(90, b.getNorth()),
      ].map((v) => v.toFixed(6)).join(",");
      const zoom = Math.max(0, Math.min(22, Math.round(map.getZoom())));
      const ticket = ++asked;
      fetch(`${centreMap.dataset.clusters}?bbox=${bbox}&zoom=${zoom}`, { credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : { clusters: [] }))
        .then((data) => {
          if (ticket !== asked) return; // a newer view has been asked for
          markers.clearLayers();
          for (const c of data.clusters) {
            const late = c.overdue > 0 ? " late" : "";
            if (c.n === 1) {
              const icon = L.divIcon({ className: `matter-marker${late}`, html: "", iconSize: [14, 14] });
              L.marker([c.lat, c.lon], { icon, title: c.number, keyboard: true })
                .on("click", () => { window.location.href = matterUrl(c.number); })
                .addTo(markers);
            } else {
              const size = c.n >= 100 ? 44 : c.n >= 10 ? 36 : 30;
              const icon = L.divIcon({
                className: `matter-cluster${late}`, html: `<span>${esc(c.n)}</span>`, iconSize: [size, size],
              });
              L.marker([c.lat, c.lon], { icon, title: fill(T.cluster, { n: c.n }), keyboard: true })
                .on("click", () => map.setView([c.lat, c.lon], Math.min(map.getZoom() + 2, 19)))
                .addTo(markers);
            }
          }
          centreMap.setAttribute("data-markers", String(data.clusters.length));
        });
    };

    fetch(centreMap.dataset.grids, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
      .then((collection) => {
        const layer = L.geoJSON(collection, {
          style: (f) => ({
            className: "centre-grid", color: "#5b6b7c", weight: 1, fillColor: gridColour(f.properties), fillOpacity: 0.75,
          }),
          onEachFeature: (f, l) => {
            const p = f.properties;
            l.bindTooltip(
              `<strong>${esc(p.name)}</strong><br>${esc(fill(T.open, { n: p.open }))}<br>${esc(fill(T.overdue, { n: p.overdue }))}`,
              { sticky: true, className: "area-tip" },
            );
          },
        }).addTo(map);
        if (collection.features.length) map.fitBounds(layer.getBounds(), { padding: [16, 16] });
        else map.setView([30, 120], 8);
        centreMap.setAttribute("data-grids-drawn", String(collection.features.length));
        map.on("moveend", drawClusters);
        drawClusters();
      })
      .catch(() => centreMap.setAttribute("data-grids-drawn", "error"));
  }

  /* ---- a matter's location ------------------------------------------------------------------- */

  const matterMap = $("matter-map");
  const location = readJSON("matter-location");
  if (matterMap && location && window.L) {
    const map = baseMap(matterMap);
    const outline = L.geoJSON(location.outline, {
      interactive: false,
      style: { className: "area-outline", color: "#0b3d75", weight: 2, fillColor: "#2f6db5", fillOpacity: 0.15 },
    }).addTo(map);
    if (location.lon !== null && location.lat !== null) {
      const icon = L.divIcon({ className: "matter-marker here", html: "", iconSize: [16, 16] });
      L.marker([location.lat, location.lon], { icon, interactive: false }).addTo(map);
      map.fitBounds(outline.getBounds(), { padding: [12, 12] });
    } else {
      map.fitBounds(outline.getBounds(), { padding: [12, 12] });
    }
    matterMap.setAttribute("data-drawn", "1");
  }
})();
