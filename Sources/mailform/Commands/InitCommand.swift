import ArgumentParser
import Foundation
import MailformCore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Scaffold a workspace: mailform.yaml with every setting explained, a company template, a .gitignore.",
        discussion: "Refuses to overwrite any existing file."
    )

    @Argument(help: "The folder to create the workspace in (default: the current folder).")
    var folder: String?

    /// `--mode`: the workspace's `mode:`.
    enum InitMode: String, ExpressibleByArgument, CaseIterable {
        case saas
        case onPremise = "on-premise"
    }

    @Option(help: "The policy mode; saas allows only port 587 with authentication and TLS 1.2+.")
    var mode: InitMode = .saas

    @Option(help: "Output format.")
    var format: TextOrJSONFormat = .text

    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    var quiet = false

    func run() throws {
        let directory = folder ?? "."
        let mode = self.mode.rawValue
        let root = Paths.absolute(directory)
        let files: [(String, String, Int)] = [
            ("mailform.yaml", WorkspaceTemplate.workspace(mode: mode), 0o644),
            ("companies/example.yaml", WorkspaceTemplate.company, 0o644),
            ("profiles/README.md", WorkspaceTemplate.profilesReadme, 0o644),
            ("secrets/example-smtp.txt", "replace-me-with-the-smtp-password\n", 0o600),
            // Keeps the folder in Git (.gitignore ignores everything else in it).
            ("secrets/.gitkeep", "", 0o644),
            (".gitignore", WorkspaceTemplate.gitignore, 0o644),
            (".mailformignore", WorkspaceTemplate.mailformignore, 0o644),
        ]
        let existing = files.map(\.0).filter { Paths.exists((root as NSString).appendingPathComponent($0)) }
        if !existing.isEmpty {
            throw Pipeline.fatal(.fileExists, "\(existing.joined(separator: ", ")) already exist\(existing.count == 1 ? "s" : "") in \(Paths.display(root)); nothing was written",
                           hint: "init a new folder, or move those files away")
        }
        for (path, text, mode) in files {
            let full = (root as NSString).appendingPathComponent(path)
            do {
                try SafeWrite.makeDirectory(Paths.directory(of: full))
                try SafeWrite.write(Array(text.utf8), to: full, mode: mode_t(mode), exclusive: true)
            } catch let refusal as SafeWrite.Refusal {
                throw Pipeline.fatal(refusal)
            }
        }
        if format == .json {
            Console.out(JSONOutput.string(["created": files.map { Paths.display((root as NSString).appendingPathComponent($0.0)) }, "mode": mode]))
            return
        }
        if quiet { return }
        Console.out("""
            Created a \(mode) workspace in \(Paths.display(root)):
              mailform.yaml             workspace settings (every setting explained)
              companies/example.yaml    a company to copy; one file per company
              profiles/                 shared settings for 'extends:'
              secrets/                  secret files (kept out of Git by .gitignore)
            Next: edit companies/example.yaml, then run
              mailform validate \(directory == "." ? "." : directory)
              mailform plan \(directory == "." ? "." : directory)

            """)
    }
}

/// The files `mailform init` writes.
enum WorkspaceTemplate {
    static func workspace(mode: String) -> String {
        """
        # yaml-language-server: $schema=https://mailform.dev/schemas/workspace.schema.json
        # mailform workspace settings. Every setting is optional; the values
        # shown commented out are the defaults.

        # saas: SMTP only on port 587 with authentication and TLS 1.2+.
        # on-premise: anonymous relays and any port are allowed.
        mode: \(mode)

        # The SQLite store, relative to this file. MAILFORM_STORE and --store override it.
        # Its key is MAILFORM_STORE_KEY, or the file <store>.key made on first use.
        # store: ./mailform.db

        # Where 'extends: NAME' finds NAME.yaml.
        # profiles: ./profiles

        # probe:
        #   timeout: 10s              # per endpoint, every stage included
        #   concurrency: 64           # endpoints probed at once
        #   deadline: 5m              # the whole probe; endpoints not done by then fail ("not probed: deadline reached")
        #   ehlo: mailform.invalid    # the name the probe greets servers with
        #   proxy: socks5h://bastion.internal:1080   # for SMTP servers reachable only inside a network
        #   ca_file: ./private-ca.pem # extra certificate authorities
        #   dns:                      # the DNS stage: SPF, DMARC, DKIM, MX of the sender domains
        #     servers: [10.0.0.53:53] # default: the system's resolvers
        #     timeout: 3s

        # What secret references may read. Company files may come from an
        # untrusted pull request: keep these fences narrow.
        # secrets:
        #   env: ["MAILFORM_{company}__*", "MAILFORM__{profile}__*"]   # the default: company acme reads only MAILFORM_ACME__*
        #   dirs: [/run/secrets]      # ${file:PATH} outside the workspace only below these: DIR/<company id>/...
        #   dirs_reach: own           # own (default) | all (every company reads every file in dirs)

        # The platform's own sending (provider: platform): its SPF include, which
        # the sender domains' SPF records must include.
        # platform:
        #   spf_include: _spf.platform.example

        # apply refuses larger changes without --force.
        # safety:
        #   max_deletes: 5
        #   max_changed_percent: 30
        #   min_existing: 10      # the percentage counts from this many companies on

        """
    }

    static let company = """
        # yaml-language-server: $schema=https://mailform.dev/schemas/company.schema.json
        # One company per file. `mailform schema company` prints every key with its meaning.
        company: example                     # id: lowercase letters, digits, '-'
        name: Example Ltd
        # extends: relay                     # start from profiles/relay.yaml
        sender:
          email: no-reply@example.com
          name: Example Privacy
          # logo: https://cdn.example.com/logo.png   # or a PNG/JPEG/SVG path beside this file
        dsar_sender:
          email: dpo@example.com             # on the sender's domain
          name: Example Data Protection Office
        provider: smtp                       # smtp | mailgun | mailchimp | sendgrid | platform (docs/providers.md)
        smtp:
          host: smtp.example.com
          port: 587
          username: no-reply@example.com
          password: ${file:../secrets/example-smtp.txt}   # or ${env:MAILFORM_EXAMPLE__SMTP_PASSWORD}
          starttls: required                 # required | optional | off
          ssl_protocols: [TLSv1.2, TLSv1.3]
        # mailgun:                           # with provider: mailgun
        #   domain: mg.example.com
        #   api_key: ${env:MAILFORM_EXAMPLE__MAILGUN_API_KEY}
        #   region: us                       # us | eu
        # sendgrid:                          # with provider: sendgrid (mailchimp: {api_key, domain} is alike)
        #   api_key: ${env:MAILFORM_EXAMPLE__SENDGRID_API_KEY}   # needs Mail Send (+ Sender Authentication read)
        #   domain: example.com              # as authenticated in SendGrid
        #   region: global                   # global | eu
        # smtp_pools:                        # extra SMTP configurations
        #   dsar-relay:
        #     use_for: [dsar]                # login_codes consent_proofs request_protocols dsar notifications
        #     strategy: failover             # failover | round_robin
        #     servers:
        #       - host: smtp2.example.com
        #         username: dsar@example.com
        #         password: ${env:MAILFORM_EXAMPLE__POOL_DSAR_RELAY_0_PASSWORD}
        # probe:                             # never probe this company
        #   enabled: false
        #   reason: SMTP relay reachable only from the VPN

        """

    static let profilesReadme = """
        # Profiles

        A profile is a partial company file: `extends: NAME` in a company file
        starts from `NAME.yaml` here, and the company's own keys win. Use one
        for settings many companies share (a relay, TLS settings).

        """

    static let gitignore = """
        # mailform: never commit secret values, the store or its key.
        secrets/
        !secrets/.gitkeep
        *.env
        mailform.db
        mailform.db-wal
        mailform.db-shm
        *.db.key
        plan*.json

        """

    static let mailformignore = """
        # Paths (relative to this folder, '*' wildcards) that folder arguments
        # of mailform skip: YAML files here that are not company files.
        .github/
        ci/

        """
}
