import Foundation

/// Reads every YAML document of a test-suite file.
///
/// During isolated development the SPF module has no YAML parser, so this
/// converts with python3-yaml (`yaml.safe_load_all`) into JSON and parses that.
/// It is the one place that knows how: inside mailform's package, swap the body
/// for the libyaml-based loader and nothing else changes.
func loadSuiteDocuments(at url: URL) throws -> [[String: Any]] {
    let script = "import yaml,json,sys; json.dump(list(yaml.safe_load_all(open(sys.argv[1], 'rb'))), sys.stdout)"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = ["-c", script, url.path]
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Read before waiting: the JSON is bigger than a pipe's buffer.
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw SuiteLoadError(message: "python3 could not convert \(url.path) to json (exit \(process.terminationStatus)): \(errorText)")
    }
    guard let documents = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
        throw SuiteLoadError(message: "\(url.path) is not a list of yaml mappings")
    }
    return documents
}

struct SuiteLoadError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
