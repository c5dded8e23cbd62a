import ArgumentParser
import Foundation
import MailformCore

/// Flags every command that reads company files shares.
struct InputOptions: ParsableArguments {
    @Argument(help: "Company files or folders holding them (default: the current folder).")
    var paths: [String] = []

    @Option(help: "The workspace file (mailform.yaml) or its folder; found by walking up from the paths otherwise.")
    var workspace: String?

    @Option(help: ArgumentHelp(
        "A trusted workspace file whose settings (store, proxy, CA file, secret fences, mode, safety) replace the workspace's own (default: $MAILFORM_TRUSTED_WORKSPACE).",
        discussion: "On pull requests, pass the base branch's mailform.yaml: nothing the pull request sets in its own copy then widens what is read or where traffic goes."))
    var trustedWorkspace: String?
}

/// The output formats, one type per set of formats a command supports, so
/// its help, its shell completions and the parser offer only those: an
/// unsupported one is a usage error (exit 64) naming the valid values.
enum TextOrJSONFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `validate --format`: text, json or GitHub workflow annotations.
enum ValidateFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, github
}

/// `plan --format`: text, json or Markdown for one pull-request comment.
enum PlanFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, markdown
}

/// `schema --format`: a schema is JSON, so json is its only format.
enum SchemaFormat: String, ExpressibleByArgument, CaseIterable {
    case json
}

/// Writes to standard output and standard error without buffering surprises.
enum Console {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
