import Compare
#if canImport(Glibc)
import Glibc
#endif

/// Inline SVG charts, drawn here so the report needs no script library and no network:
/// line charts (linear or log axes, an optional 0-100 % right axis, shaded stretches) and
/// grouped bars. Every drawn datum carries class `data`, which the page's self-check and
/// the browser test count.
enum SVG {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    static func color(_ i: Int) -> String { palette[i % palette.count] }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if c.value < 0x20 && c != "\n" && c != "\t" { out += "\u{FFFD}" } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }

    static func num(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        return String(format: "%.1f", v)
    }

    struct Axis {
        var lower: Double
        var upper: Double
        var log: Bool
        var format: (Double) -> String

        /// A fraction 0...1 of the axis' length.
        func position(_ v: Double) -> Double {
            if log {
                let l = Foundation_log10(max(lower, 1e-300)), u = Foundation_log10(max(upper, 1e-300))
                return u == l ? 0.5 : (Foundation_log10(max(v, lower)) - l) / (u - l)
            }
            return upper == lower ? 0.5 : (v - lower) / (upper - lower)
        }

        func ticks() -> [Double] {
            if log {
                var out: [Double] = []
                var p = pow(10, floor(Foundation_log10(max(lower, 1e-300))))
                while p <= upper * 1.0001 {
                    for m in [1.0, 2, 5] where p * m >= lower * 0.9999 && p * m <= upper * 1.0001 { out.append(p * m) }
                    p *= 10
                }
                if out.count > 8 { out = out.filter { v in abs(Foundation_log10(v).rounded() - Foundation_log10(v)) < 1e-9 } }
                return out
            }
            let span = upper - lower
            guard span > 0 else { return [lower] }
            let raw = span / 5
            let mag = pow(10, floor(Foundation_log10(raw)))
            let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? mag * 10
            var out: [Double] = []
            var t = ceil(lower / step) * step
            // Bounded: far from zero a step can be below the values' resolution.
            while t <= upper + step * 1e-9 && out.count < 50 { out.append(t); t += step }
            return out
        }

        /// A range covering `values` (from 0 for a linear axis of non-negative figures).
        static func covering(_ values: [Double], log: Bool, format: @escaping (Double) -> String) -> Axis {
            let finite = values.filter { $0.isFinite && (!log || $0 > 0) }
            guard let lo = finite.min(), let hi = finite.max() else { return Axis(lower: log ? 1 : 0, upper: log ? 10 : 1, log: log, format: format) }
            if log {
                return Axis(lower: pow(10, floor(Foundation_log10(lo))), upper: pow(10, ceil(Foundation_log10(hi * 1.0001))), log: true, format: format)
            }
            let upper = hi <= 0 ? 1 : hi * 1.08
            return Axis(lower: min(0, lo), upper: upper, log: false, format: format)
        }
    }

    struct Line {
        var name: String
        var color: String
        var points: [(x: Double, y: Double)]
        var rightAxis = false
        var dashed = false
    }

    struct Band {
        var x0: Double
        var x1: Double
        var label: String
        var color: String
    }

    static let width = 760.0, height = 300.0
    static let left = 72.0, right = 64.0, top = 14.0, bottom = 44.0

    static func lineChart(title: String, kind: String, x: Axis, y: Axis, xLabel: String, yLabel: String,
                          lines: [Line], right y2: Axis? = nil, y2Label: String = "", bands: [Band] = [],
                          xTicks: [(Double, String)]? = nil, legend: [(String, String, Bool)]? = nil) -> String {
        let pw = width - left - right, ph = height - top - bottom
        func px(_ v: Double) -> Double { left + x.position(v) * pw }
        func py(_ v: Double, _ a: Axis) -> Double { top + (1 - a.position(v)) * ph }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">"
        for b in bands {
            let x0 = px(b.x0), x1 = max(px(b.x1), x0 + 1)
            s += "<rect class=\"band\" x=\"\(num(x0))\" y=\"\(num(top))\" width=\"\(num(x1 - x0))\" height=\"\(num(ph))\" fill=\"\(b.color)\" fill-opacity=\"0.18\"><title>\(escape(b.label))</title></rect>"
        }
        // Grid and axes.
        for t in y.ticks() {
            let yy = py(t, y)
            s += "<line x1=\"\(num(left))\" x2=\"\(num(left + pw))\" y1=\"\(num(yy))\" y2=\"\(num(yy))\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(num(left - 6))\" y=\"\(num(yy + 4))\" text-anchor=\"end\">\(escape(y.format(t)))</text>"
        }
        for (t, label) in xTicks ?? x.ticks().map({ ($0, x.format($0)) }) {
            let xx = px(t)
            s += "<line x1=\"\(num(xx))\" x2=\"\(num(xx))\" y1=\"\(num(top))\" y2=\"\(num(top + ph))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(num(xx))\" y=\"\(num(top + ph + 16))\" text-anchor=\"middle\">\(escape(label))</text>"
        }
        s += "<rect x=\"\(num(left))\" y=\"\(num(top))\" width=\"\(num(pw))\" height=\"\(num(ph))\" fill=\"none\" stroke=\"#888\"/>"
        s += "<text x=\"\(num(left + pw / 2))\" y=\"\(num(height - 6))\" text-anchor=\"middle\" class=\"axis\">\(escape(xLabel))</text>"
        s += "<text transform=\"translate(14 \(num(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">\(escape(yLabel))</text>"
        if let y2 {
            for t in y2.ticks() {
                s += "<text x=\"\(num(left + pw + 6))\" y=\"\(num(py(t, y2) + 4))\" text-anchor=\"start\" fill=\"#2ca02c\">\(escape(y2.format(t)))</text>"
            }
            s += "<text transform=\"translate(\(num(width - 12)) \(num(top + ph / 2))) rotate(90)\" text-anchor=\"middle\" class=\"axis\">\(escape(y2Label))</text>"
        }
        for l in lines {
            let a = l.rightAxis ? (y2 ?? y) : y
            let pts = l.points.filter { $0.x.isFinite && $0.y.isFinite && (!a.log || $0.y > 0) }
            guard !pts.isEmpty else { continue }
            if pts.count == 1 {
                s += "<circle class=\"data\" cx=\"\(num(px(pts[0].x)))\" cy=\"\(num(py(pts[0].y, a)))\" r=\"3\" fill=\"\(l.color)\"><title>\(escape(l.name))</title></circle>"
                continue
            }
            let coords = pts.map { "\(num(px($0.x))),\(num(py($0.y, a)))" }.joined(separator: " ")
            s += "<polyline class=\"data\" fill=\"none\" stroke=\"\(l.color)\" stroke-width=\"1.6\"\(l.dashed ? " stroke-dasharray=\"5 3\"" : "") points=\"\(coords)\"><title>\(escape(l.name))</title></polyline>"
        }
        s += "</svg>"
        return figure(title: title, kind: kind, svg: s, legend: (legend ?? lines.map { ($0.name, $0.color, $0.dashed) })
                      + uniqueBands(bands).map { ($0.label, $0.color, false) }, count: lines.reduce(0) { $0 + $1.points.count })
    }

    static func uniqueBands(_ bands: [Band]) -> [Band] {
        var seen = Set<String>()
        return bands.filter { seen.insert($0.label).inserted }
    }

    struct BarGroup {
        var label: String
        /// (series index, value, interval) per bar; nil value: no bar.
        var bars: [(value: Double?, lower: Double?, upper: Double?)]
    }

    static func barChart(title: String, kind: String, groups: [BarGroup], seriesNames: [String], yLabel: String,
                         format: @escaping (Double) -> String) -> String {
        let pw = width - left - 16, ph = height - top - bottom
        let values = groups.flatMap { $0.bars.flatMap { [$0.value, $0.upper].compactMap { $0 } } }
        let y = Axis.covering(values, log: false, format: format)
        func py(_ v: Double) -> Double { top + (1 - y.position(v)) * ph }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">"
        for t in y.ticks() {
            s += "<line x1=\"\(num(left))\" x2=\"\(num(left + pw))\" y1=\"\(num(py(t)))\" y2=\"\(num(py(t)))\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(num(left - 6))\" y=\"\(num(py(t) + 4))\" text-anchor=\"end\">\(escape(format(t)))</text>"
        }
        let gw = pw / Double(max(1, groups.count))
        let bw = min(48, (gw - 16) / Double(max(1, seriesNames.count)))
        var drawn = 0
        for (gi, g) in groups.enumerated() {
            let gx = left + Double(gi) * gw + (gw - bw * Double(seriesNames.count)) / 2
            for (bi, b) in g.bars.enumerated() {
                guard let v = b.value, v.isFinite else { continue }
                let x = gx + Double(bi) * bw
                let y0 = py(max(0, y.lower)), y1 = py(v)
                s += "<rect class=\"data\" x=\"\(num(x + 1))\" y=\"\(num(min(y0, y1)))\" width=\"\(num(bw - 2))\" height=\"\(num(max(1, abs(y0 - y1))))\" fill=\"\(color(bi))\"><title>\(escape(g.label)) — \(escape(seriesNames[bi])): \(escape(format(v)))</title></rect>"
                drawn += 1
                if let lo = b.lower, let hi = b.upper {
                    let cx = x + bw / 2
                    s += "<line x1=\"\(num(cx))\" x2=\"\(num(cx))\" y1=\"\(num(py(lo)))\" y2=\"\(num(py(hi)))\" stroke=\"#222\"/>"
                }
            }
            s += "<text x=\"\(num(left + Double(gi) * gw + gw / 2))\" y=\"\(num(top + ph + 16))\" text-anchor=\"middle\">\(escape(g.label))</text>"
        }
        s += "<rect x=\"\(num(left))\" y=\"\(num(top))\" width=\"\(num(pw))\" height=\"\(num(ph))\" fill=\"none\" stroke=\"#888\"/>"
        s += "<text transform=\"translate(14 \(num(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">\(escape(yLabel))</text>"
        s += "</svg>"
        return figure(title: title, kind: kind, svg: s, legend: seriesNames.enumerated().map { ($1, color($0), false) }, count: drawn)
    }

    static func figure(title: String, kind: String, svg: String, legend: [(String, String, Bool)], count: Int) -> String {
        var out = "<figure class=\"chart\" data-kind=\"\(escape(kind))\" data-title=\"\(escape(title))\" data-points=\"\(count)\">"
        out += "<figcaption>\(escape(title))</figcaption>" + svg + "<div class=\"legend\">"
        for (name, c, dashed) in legend {
            out += "<span><i style=\"background:\(c)\(dashed ? ";opacity:.6" : "")\"></i>\(escape(name))</span>"
        }
        return out + "</div></figure>\n"
    }
}

@inline(__always) func Foundation_log10(_ v: Double) -> Double { log10(v) }
