#!/usr/bin/env python3
"""Draws the CSV of bench/soak.sh as an SVG with three panels (store size on disk, rows, musterd's
RSS) over time, with no plotting library.
  python3 bench/soak_plot.py soak.csv docs/img/soak.svg "title"
"""
import csv
import sys


def main():
    src, out = sys.argv[1], sys.argv[2]
    title = sys.argv[3] if len(sys.argv) > 3 else "soak"
    rows = list(csv.DictReader(open(src)))
    t = [float(r["seconds"]) / 60 for r in rows]
    panels = [
        ("store on disk (MB)", [("muster.db", [int(r["db_bytes"]) / 1e6 for r in rows], "#1f77b4"),
                                ("-wal", [int(r["wal_bytes"]) / 1e6 for r in rows], "#ff7f0e")]),
        ("rows (thousands)", [("tickets", [int(r["tickets"]) / 1e3 for r in rows], "#2ca02c"),
                              ("outbox events", [int(r["events"]) / 1e3 for r in rows], "#d62728")]),
        ("musterd RSS (MB)", [("rss", [int(r["rss_kib"]) / 1024 for r in rows], "#9467bd")]),
    ]
    w, ph, left, top, gap = 760, 170, 70, 40, 50
    h = top + len(panels) * (ph + gap)
    tmax = max(t) if t and max(t) > 0 else 1
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{left}" y="22" font-size="14">{title}</text>']
    for i, (name, series) in enumerate(panels):
        y0 = top + i * (ph + gap)
        ymax = max(max(v) for _, v, _ in series) * 1.1 or 1
        pw = w - left - 20
        svg.append(f'<rect x="{left}" y="{y0}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>')
        svg.append(f'<text x="{left}" y="{y0 - 6}">{name}</text>')
        for k in range(5):
            v = ymax * k / 4
            y = y0 + ph - ph * k / 4
            svg.append(f'<text x="{left - 6}" y="{y + 4:.0f}" text-anchor="end">{v:.0f}</text>')
            svg.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
        for k in range(7):
            m = tmax * k / 6
            x = left + pw * k / 6
            svg.append(f'<text x="{x:.0f}" y="{y0 + ph + 14}" text-anchor="middle">{m:.0f} min</text>')
        for j, (label, values, color) in enumerate(series):
            pts = " ".join(f"{left + pw * tt / tmax:.1f},{y0 + ph - ph * v / ymax:.1f}" for tt, v in zip(t, values))
            svg.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.5"/>')
            svg.append(f'<text x="{left + pw - 4}" y="{y0 + 14 + 14 * j}" text-anchor="end" fill="{color}">{label}</text>')
    svg.append("</svg>")
    open(out, "w").write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
