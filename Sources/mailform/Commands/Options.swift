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
///
/// A closed reader (`| head`) ends the run as SIGPIPE would, also when the
/// parent started it with SIGPIPE ignored (some CI runners do): Foundation's
/// `FileHandle.write` then crashed with a backtrace. An apply stopped this
/// way before its commit writes nothing, as with any kill.
enum Console {
    static func out(_ text: String) { write(text, to: STDOUT_FILENO) }

    nonisolated(unsafe) private static var pending = ""

    /// Text for stdout in pieces, written 64 KB at a time (`flush` writes
    /// the rest): a long plan is printed without being held whole, and
    /// without a system call per piece. One thread at a time.
    static func buffered() -> (String) -> Void {
        { piece in
            pending += piece
            if pending.utf8.count >= 65_536 { flush() }
        }
    }

    /// Writes what `buffered` holds.
    static func flush() {
        guard !pending.isEmpty else { return }
        let text = pending
        pending = ""
        out(text)
    }

    static func err(_ text: String) { write(text, to: STDERR_FILENO) }

    private static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n > 0 { offset += n; continue }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && errno == EPIPE {
                    signal(SIGPIPE, SIG_DFL)
                    raise(SIGPIPE)
                }
                // Another failure (a full disk): say so where it can be said, and stop.
                let reason = String(cString: strerror(errno))
                if fd != STDERR_FILENO { Console.err("mailform: error: cannot write the output: \(reason) [\(ErrorCode.outputWrite)]\n") }
                exit(1)
            }
        }
    }
}
