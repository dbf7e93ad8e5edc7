// The stations on a map (Leaflet) without tiles: tile servers are not reachable offline, so the stations are
// drawn on a plain background, coloured by what needs attention. The map and its markers are made once and
// changed in place: a station's update restyles one circle instead of redrawing the map.
import { memo, useEffect, useRef } from 'react';
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import type { StationSummary } from '../types';

export type MapState = 'fault' | 'over_limit' | 'queue' | 'ok';

/** A queue this long or longer marks a station on the map. */
export const QUEUE_ALERT = 5;

export const STATE_STYLE: Record<MapState, { colour: string; label: string }> = {
  fault: { colour: '#c0352b', label: 'Charger faulted or offline' },
  over_limit: { colour: '#d9480f', label: 'Power over the limit' },
  queue: { colour: '#9a6700', label: `Queue of ${QUEUE_ALERT} or more` },
  ok: { colour: '#1a7f37', label: 'Normal' },
};

/** The one state a station is drawn in: the most pressing first. */
export function mapStateOf(s: StationSummary): MapState {
  if (s.chargers.some((c) => c.status === 'faulted' || c.status === 'offline')) return 'fault';
  if (s.power.drawKW !== null && s.power.limitKW !== null && s.power.drawKW > s.power.limitKW) return 'over_limit';
  if (s.queueWaiting >= QUEUE_ALERT) return 'queue';
  return 'ok';
}

interface Drawn {
  marker: L.CircleMarker;
  station: StationSummary;
  state: MapState;
}

interface Props {
  stations: readonly StationSummary[];
  onOpen: (id: string) => void;
}

function radiusOf(s: StationSummary): number {
  return 6 + Math.min(8, Math.sqrt(s.queueWaiting) * 1.5);
}

export const StationMap = memo(function StationMap({ stations, onOpen }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const drawn = useRef(new Map<string, Drawn>());
  const fitted = useRef('');
  const open = useRef(onOpen);
  open.current = onOpen;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const m = L.map(el, { center: [0, 0], zoom: 2, minZoom: 2, maxZoom: 18, attributionControl: false, worldCopyJump: false });
    // Without tiles the scale is the one sense of distance the map gives.
    L.control.scale({ position: 'bottomleft' }).addTo(m);
    map.current = m;
    const markers = drawn.current;
    // The page's layout changes the box (a phone turned, the window resized); Leaflet measures it once.
    const ro = new ResizeObserver(() => m.invalidateSize());
    ro.observe(el);
    return () => {
      ro.disconnect();
      m.remove();
      markers.clear();
      fitted.current = '';
      map.current = null;
    };
  }, []);

  useEffect(() => {
    const m = map.current;
    if (!m) return;
    const seen = new Set<string>();
    for (const s of stations) {
      seen.add(s.id);
      const d = drawn.current.get(s.id);
      if (d && d.station === s) continue;
      const state = mapStateOf(s);
      if (!d) {
        const marker = L.circleMarker([s.location.lat, s.location.lng], {
          radius: radiusOf(s),
          color: '#fff',
          weight: 2,
          fillColor: STATE_STYLE[state].colour,
          fillOpacity: 0.9,
        });
        marker.bindTooltip(s.name);
        marker.on('click', () => open.current(s.id));
        marker.addTo(m);
        const path = marker.getElement();
        if (path instanceof SVGElement) path.dataset.station = s.id;
        drawn.current.set(s.id, { marker, station: s, state });
        continue;
      }
      if (d.station.location.lat !== s.location.lat || d.station.location.lng !== s.location.lng)
        d.marker.setLatLng([s.location.lat, s.location.lng]);
      if (d.state !== state || d.station.queueWaiting !== s.queueWaiting)
        d.marker.setStyle({ fillColor: STATE_STYLE[state].colour }).setRadius(radiusOf(s));
      if (d.station.name !== s.name) d.marker.setTooltipContent(s.name);
      d.station = s;
      d.state = state;
    }
    for (const [id, d] of drawn.current) {
      if (seen.has(id)) continue;
      d.marker.remove();
      drawn.current.delete(id);
    }
    // Fit only when the set of stations changes: an update must not undo the user's pan and zoom.
    const key = [...seen].sort().join('\n');
    if (key !== fitted.current && stations.length) {
      fitted.current = key;
      const bounds = L.latLngBounds(stations.map((s) => [s.location.lat, s.location.lng] as [number, number]));
      m.fitBounds(bounds, { padding: [24, 24], maxZoom: 13 });
    }
  }, [stations]);

  return (
    <section className="st-map-panel" aria-label="Map of stations">
      <div ref={box} className="st-map" tabIndex={0} aria-label="Map: use the arrow keys to pan, plus and minus to zoom" />
      <ul className="st-legend" aria-label="Map legend">
        {(Object.keys(STATE_STYLE) as MapState[]).map((k) => (
          <li key={k}>
            <span className="st-swatch" style={{ background: STATE_STYLE[k].colour }} aria-hidden="true" />
            {STATE_STYLE[k].label}
          </li>
        ))}
      </ul>
    </section>
  );
});
