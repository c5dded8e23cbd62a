import Foundation
import JSONSchema

/// One policy rule waived for one company (`waivers:` in its file), with
/// the reason reviewers read and the last day it holds.
public struct Waiver: Sendable, Equatable {
    /// The rule id, as diagnostics show it (`dsar-sender-domain`).
    public var rule: String
    public var reason: String
    /// The last day the waiver holds, `YYYY-MM-DD` (UTC).
    public var until: String
    /// Where `rule` is written (for located errors); nil for stored waivers.
    public var mark: Mark?

    public init(rule: String, reason: String, until: String, mark: Mark? = nil) {
        self.rule = rule
        self.reason = reason
        self.until = until
        self.mark = mark
    }

    public static func == (lhs: Waiver, rhs: Waiver) -> Bool {
        (lhs.rule, lhs.reason, lhs.until) == (rhs.rule, rhs.reason, rhs.until)
    }

    /// The plan's path of a waiver: `waivers.dsar-sender-domain`.
    public var path: String { "waivers." + rule }

    /// What the plan shows and compares: `until 2027-03-31: reason`.
    public var shown: String { "until \(until): \(reason)" }

    /// Whether the waiver no longer holds on `today` (`YYYY-MM-DD`, UTC).
    public func expired(today: String) -> Bool { until < today }

    /// Whether `text` (`YYYY-MM-DD`) is a day of the Gregorian calendar
    /// (2099-02-30 is not), from year 2000 to 2999.
    public static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (2000...2999).contains(parts[0]), (1...12).contains(parts[1]) else { return false }
        let (y, m, d) = (parts[0], parts[1], parts[2])
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        return (1...days).contains(d)
    }

    /// Today's date in UTC, as waivers write it.
    public static func today(_ now: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: now)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

    /// The store's form of a company's waivers: one line per waiver, sorted
    /// by rule, `rule TAB until TAB reason` (the schema keeps tabs and line
    /// breaks out of every part); nil for none.
    public static func stored(_ waivers: [Waiver]) -> String? {
        guard !waivers.isEmpty else { return nil }
        return waivers.sorted { $0.rule < $1.rule }.map { "\($0.rule)\t\($0.until)\t\($0.reason)" }.joined(separator: "\n")
    }

    /// Reads the store's form back; nil when a line is not one.
    public static func parse(stored text: String?) -> [Waiver]? {
        guard let text, !text.isEmpty else { return [] }
        var out: [Waiver] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let parts = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { return nil }
            out.append(Waiver(rule: String(parts[0]), reason: String(parts[2]), until: String(parts[1])))
        }
        return out
    }
}
