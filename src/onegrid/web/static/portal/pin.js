/* The place of a report: the phone's location, or a pin put on a map of the net's grids, written into
 * the longitude and latitude fields (which can also be typed). Grid outlines come from the page's
 * own server; map tiles only when the page names a tile server. */
(() => {
  "use strict";
  const form = document.getElementById("pin-map")?.closest("form");
  const mapEl = document.getElementById("pin-map");
  if (!form || !mapEl) return;
  const lon = form.elements.lon;
  const lat = form.elements.lat;
  const status = document.getElementById("place-status");
  const locate = document.getElementById("use-location");
  let map = null;
  let pin = null;

  const show = () => {
    const x = parseFloat(lon.value);
    const y = parseFloat(lat.value);
    if (!map || !Number.isFinite(x) || !Number.isFinite(y)) return;
    if (pin) pin.setLatLng([y, x]);
    else pin = L.circleMarker([y, x], { radius: 9, color: "#fff", weight: 3, fillColor: "#c8102e", fillOpacity: 1 }).addTo(map);
  };
  const put = (x, y, zoomTo) => {
    lon.value = x.toFixed(6);
    lat.value = y.toFixed(6);
    show();
    if (zoomTo && map) map.setView([y, x], Math.max(map.getZoom(), 15));
  };

  if (window.L) {
    map = L.map(mapEl, { zoomSnap: 0.5, minZoom: 3 });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com" hreflang="en">Leaflet</a>');
    if (mapEl.dataset.tileUrl) {
      L.tileLayer(mapEl.dataset.tileUrl, { attribution: mapEl.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    const grids = L.geoJSON(null, {
      style: { className: "pin-grid", color: "#0b3d75", weight: 1.5, fillColor: "#2f6db5", fillOpacity: 0.12 },
      onEachFeature: (f, layer) => layer.bindTooltip(String(f.properties.name), { sticky: true }),
    }).addTo(map);
    const url = mapEl.dataset.geojson;
    const load = () => {
      const b = map.getBounds();
      const box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
      fetch(`${url}${url.includes("?") ? "&" : "?"}bbox=${box}`, { credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : { features: [] }))
        .then((c) => {
          grids.clearLayers();
          grids.addData(c);
          mapEl.dataset.grids = String(c.features.length);
        })
        .catch(() => { mapEl.dataset.grids = "error"; });
    };
    fetch(url, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((c) => {
        const [w, s, e, n] = c.bbox || [73, 18, 135, 54];
        map.fitBounds([[s, w], [n, e]]);
        if (c.features && c.features.length) {
          grids.addData(c);
          mapEl.dataset.grids = String(c.features.length);
        } else {
          load();
        }
        map.on("moveend", () => { if (!c.features || !c.features.length) load(); });
        show();
      })
      .catch(() => { map.setView([30, 120], 5); });
    map.on("click", (e) => put(e.latlng.lng, e.latlng.lat, false));
  }
  for (const input of [lon, lat]) input.addEventListener("change", show);

  if (locate) {
    if (!("geolocation" in navigator)) locate.hidden = true;
    locate.addEventListener("click", () => {
      status.textContent = locate.dataset.locating;
      navigator.geolocation.getCurrentPosition(
        (p) => {
          put(p.coords.longitude, p.coords.latitude, true);
          status.textContent = `${lon.value}, ${lat.value}`;
        },
        () => { status.textContent = locate.dataset.failed; },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
      );
    });
  }
})();
