/// Durations as written in settings and flags: `10s`, `1500ms`, `2m`.
///
/// Bounded: a probe timeout of 99999999999999999s once overflowed the
/// millisecond arithmetic and killed the process; now anything outside
/// 1 ms … 1 hour is refused with a message.
public enum Duration {
    public static let maximumMilliseconds = 3_600_000

    public struct Problem: MailformError, Sendable {
        public var message: String
        public var hint: String?
        public var code: ErrorCode { .duration }
        public var description: String { message }
    }

    public static func parse(_ text: String) -> Result<Int, Problem> {
        let unit: Int
        let digits: Substring
        if text.hasSuffix("ms") { unit = 1; digits = text.dropLast(2) }
        else if text.hasSuffix("s") { unit = 1000; digits = text.dropLast() }
        else if text.hasSuffix("m") { unit = 60_000; digits = text.dropLast() }
        else { unit = 1000; digits = Substring(text) }
        let shape = Problem(message: "'\(text)' is not a duration", hint: "write a whole number with ms, s or m, e.g. 10s or 1500ms")
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return .failure(shape) }
        let range = Problem(message: "'\(text)' is out of range", hint: "use a duration from 1ms to 60m")
        guard digits.count <= 10, let n = Int(digits) else { return .failure(range) }
        let (ms, overflow) = n.multipliedReportingOverflow(by: unit)
        guard !overflow, ms >= 1, ms <= maximumMilliseconds else { return .failure(range) }
        return .success(ms)
    }

    /// The milliseconds, or `nil` when `text` is not a duration in range.
    public static func milliseconds(_ text: String) -> Int? {
        if case .success(let ms) = parse(text) { return ms }
        return nil
    }
}
