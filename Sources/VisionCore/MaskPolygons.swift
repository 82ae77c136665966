import Foundation

/// External contours of a binary mask simplified into polygons, as the original server did with
/// OpenCV (`findContours(RETR_EXTERNAL, CHAIN_APPROX_SIMPLE)` then `approxPolyDP(ε, closed)`,
/// polygons of at least 3 points). Foreground is 8-connected; a component lying inside another
/// component's hole has no external contour, as with OpenCV.
public enum MaskPolygons {
    /// Polygons as [x, y] pixel coordinates.
    public static func polygons(_ mask: BinaryMask, tolerance: Double = 1.5) -> [[[Int]]] {
        let w = mask.width, h = mask.height
        guard w > 0, h > 0 else { return [] }
        let outside = outerBackground(mask)
        var labels = [Int32](repeating: 0, count: w * h)
        var result: [[[Int]]] = []
        var next: Int32 = 1
        for y in 0..<h {
            for x in 0..<w where mask.pixels[y * w + x] != 0 && labels[y * w + x] == 0 {
                let touchesOutside = label(mask, from: (x, y), as: next, labels: &labels, outside: outside)
                next += 1
                guard touchesOutside else { continue }
                let border = trace(mask, start: (x, y))
                let simple = compress(border)
                let polygon = simplify(simple, epsilon: tolerance)
                if polygon.count >= 3 { result.append(polygon.map { [$0.x, $0.y] }) }
            }
        }
        return result
    }

    struct Point: Equatable { var x: Int; var y: Int }

    /// Background reachable from outside the image through 4-connected background pixels.
    static func outerBackground(_ mask: BinaryMask) -> [Bool] {
        let w = mask.width, h = mask.height
        var seen = [Bool](repeating: false, count: w * h)
        var stack: [Int] = []
        func push(_ x: Int, _ y: Int) {
            let i = y * w + x
            if mask.pixels[i] == 0 && !seen[i] { seen[i] = true; stack.append(i) }
        }
        for x in 0..<w { push(x, 0); push(x, h - 1) }
        for y in 0..<h { push(0, y); push(w - 1, y) }
        while let i = stack.popLast() {
            let x = i % w, y = i / w
            if x > 0 { push(x - 1, y) }
            if x < w - 1 { push(x + 1, y) }
            if y > 0 { push(x, y - 1) }
            if y < h - 1 { push(x, y + 1) }
        }
        return seen
    }

    /// Labels an 8-connected component; true when it borders the outer background or the image edge.
    static func label(_ mask: BinaryMask, from start: (Int, Int), as id: Int32, labels: inout [Int32],
                      outside: [Bool]) -> Bool {
        let w = mask.width, h = mask.height
        var stack = [start.1 * w + start.0]
        labels[stack[0]] = id
        var external = false
        while let i = stack.popLast() {
            let x = i % w, y = i / w
            if x == 0 || y == 0 || x == w - 1 || y == h - 1 { external = true }
            for dy in -1...1 {
                for dx in -1...1 where dx != 0 || dy != 0 {
                    let nx = x + dx, ny = y + dy
                    guard nx >= 0, ny >= 0, nx < w, ny < h else { continue }
                    let j = ny * w + nx
                    if mask.pixels[j] != 0 {
                        if labels[j] == 0 { labels[j] = id; stack.append(j) }
                    } else if (dx == 0 || dy == 0) && outside[j] {
                        external = true
                    }
                }
            }
        }
        return external
    }

    // Neighbour directions, counter-clockwise on screen (y down): E, NE, N, NW, W, SW, S, SE.
    static let directions = [(1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1)]

    /// Moore-neighbour tracing of the outer border from the component's first pixel in raster
    /// order, going down the left side first as OpenCV does.
    static func trace(_ mask: BinaryMask, start: (Int, Int)) -> [Point] {
        let w = mask.width, h = mask.height
        func on(_ x: Int, _ y: Int) -> Bool { x >= 0 && y >= 0 && x < w && y < h && mask.pixels[y * w + x] != 0 }
        let first = Point(x: start.0, y: start.1)
        var border = [first]
        // Step to the next border pixel, searching counter-clockwise from the one after `from`.
        func step(_ p: Point, _ from: Int) -> (Point, Int)? {
            for k in 1...8 {
                let d = (from + k) % 8
                let (dx, dy) = directions[d]
                if on(p.x + dx, p.y + dy) { return (Point(x: p.x + dx, y: p.y + dy), (d + 4) % 8) }
            }
            return nil
        }
        // The pixel to the west of the first one is background.
        guard let (second, secondFrom) = step(first, 4) else { return border }
        var current = second, from = secondFrom
        var steps = 0
        // Jacob's stopping rule: done when the start is left again the way it was first left.
        while steps < 4 * w * h {
            if current == first, let next = step(current, from), next.0 == second { break }
            border.append(current)
            guard let next = step(current, from) else { break }
            (current, from) = next
            steps += 1
        }
        return border
    }

    /// CHAIN_APPROX_SIMPLE: keep only the points where the direction changes.
    static func compress(_ points: [Point]) -> [Point] {
        guard points.count > 2 else { return points }
        var out: [Point] = []
        let n = points.count
        for i in 0..<n {
            let prev = points[(i + n - 1) % n], cur = points[i], next = points[(i + 1) % n]
            let d1 = (cur.x - prev.x, cur.y - prev.y), d2 = (next.x - cur.x, next.y - cur.y)
            if d1 != d2 { out.append(cur) }
        }
        return out.isEmpty ? [points[0]] : out
    }

    /// Douglas-Peucker on a closed curve: split at a far-apart pair (the farthest point from the
    /// start, then the farthest from that), simplify both halves.
    static func simplify(_ points: [Point], epsilon: Double) -> [Point] {
        let n = points.count
        guard n > 2 else { return points }
        func dist2(_ a: Point, _ b: Point) -> Int { (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y) }
        var a = 0
        var b = (0..<n).max { dist2(points[a], points[$0]) < dist2(points[a], points[$1]) }!
        for _ in 0..<2 {
            let c = (0..<n).max { dist2(points[b], points[$0]) < dist2(points[b], points[$1]) }!
            a = b; b = c
        }
        if a == b { return [points[a]] }
        let (lo, hi) = (min(a, b), max(a, b))
        let first = Array(points[lo...hi])
        let second = Array(points[hi...] + points[...lo])
        let left = douglasPeucker(first, epsilon: epsilon)
        let right = douglasPeucker(second, epsilon: epsilon)
        return Array(left.dropLast()) + Array(right.dropLast())
    }

    static func douglasPeucker(_ points: [Point], epsilon: Double) -> [Point] {
        guard points.count > 2 else { return points }
        let a = points[0], b = points[points.count - 1]
        let dx = Double(b.x - a.x), dy = Double(b.y - a.y)
        let length = (dx * dx + dy * dy).squareRoot()
        var worst = 0.0, index = 0
        for i in 1..<(points.count - 1) {
            let px = Double(points[i].x - a.x), py = Double(points[i].y - a.y)
            let d = length > 0 ? abs(px * dy - py * dx) / length : (px * px + py * py).squareRoot()
            if d > worst { worst = d; index = i }
        }
        guard worst > epsilon else { return [a, b] }
        let left = douglasPeucker(Array(points[...index]), epsilon: epsilon)
        let right = douglasPeucker(Array(points[index...]), epsilon: epsilon)
        return Array(left.dropLast()) + right
    }
}
