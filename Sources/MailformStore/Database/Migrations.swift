import GRDB
import MailformCore

/// The store's schema, versioned by GRDB's migrator (table `grdb_migrations`
/// holds the applied versions). `docs/store.md` documents every column.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE store_meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                );
                CREATE TABLE companies (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT,
                    revision INTEGER NOT NULL CHECK (revision >= 1),
                    provider TEXT NOT NULL CHECK (provider IN ('smtp', 'mailgun', 'platform')),
                    sender_email TEXT NOT NULL,
                    sender_name TEXT,
                    logo_url TEXT,
                    logo_file_name TEXT,
                    logo_media_type TEXT,
                    logo_data BLOB,
                    logo_sha256 TEXT,
                    dsar_email TEXT,
                    dsar_name TEXT,
                    probe_disabled_reason TEXT,
                    updated_at TEXT NOT NULL,
                    updated_by_revision INTEGER NOT NULL
                );
                CREATE TABLE smtp_pools (
                    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    use_for TEXT NOT NULL,
                    strategy TEXT NOT NULL CHECK (strategy IN ('failover', 'round_robin')),
                    PRIMARY KEY (company_id, name)
                );
                CREATE TABLE smtp_servers (
                    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
                    pool_name TEXT NOT NULL DEFAULT '',
                    position INTEGER NOT NULL,
                    host TEXT NOT NULL,
                    port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
                    username TEXT,
                    password_secret TEXT,
                    starttls TEXT NOT NULL CHECK (starttls IN ('required', 'optional', 'off')),
                    ssl INTEGER NOT NULL,
                    ssl_trust TEXT NOT NULL DEFAULT '',
                    ssl_check_identity INTEGER NOT NULL,
                    ssl_protocols TEXT NOT NULL,
                    PRIMARY KEY (company_id, pool_name, position)
                );
                CREATE TABLE mailgun_settings (
                    company_id TEXT PRIMARY KEY NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
                    domain TEXT NOT NULL,
                    api_key_secret TEXT NOT NULL,
                    region TEXT NOT NULL CHECK (region IN ('us', 'eu'))
                );
                CREATE TABLE secrets (
                    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
                    path TEXT NOT NULL,
                    key_id TEXT NOT NULL,
                    nonce BLOB NOT NULL,
                    ciphertext BLOB NOT NULL,
                    tag BLOB NOT NULL,
                    fingerprint TEXT NOT NULL,
                    PRIMARY KEY (company_id, path)
                );
                CREATE TABLE revisions (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    applied_at TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    source_commit TEXT,
                    plan_digest TEXT NOT NULL,
                    summary TEXT NOT NULL
                );
                CREATE TABLE revision_changes (
                    revision_id INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
                    company_id TEXT NOT NULL,
                    action TEXT NOT NULL CHECK (action IN ('add', 'change', 'delete')),
                    fields TEXT NOT NULL,
                    PRIMARY KEY (revision_id, company_id)
                );
                CREATE INDEX revision_changes_company ON revision_changes(company_id, revision_id);
                """)
            try db.execute(sql: "INSERT INTO store_meta (key, value) VALUES ('store_id', ?)", arguments: [UUID().uuidString.lowercased()])
        }
        // v2: the auth method of each server, for the platform (Jakarta Mail's
        // mail.smtp.auth and mail.smtp.auth.mechanisms). A v1 row with a
        // password authenticated with it; without one it was an anonymous relay.
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                ALTER TABLE smtp_servers ADD COLUMN auth TEXT NOT NULL DEFAULT 'none'
                    CHECK (auth IN ('none', 'password', 'oauth2'));
                UPDATE smtp_servers SET auth = 'password' WHERE password_secret IS NOT NULL;
                """)
        }
        // v3: OAuth2 (XOAUTH2) settings of each server; the client secret and
        // the service-account key are in `secrets`, like passwords.
        migrator.registerMigration("v3") { db in
            try db.execute(sql: """
                ALTER TABLE smtp_servers ADD COLUMN oauth2_provider TEXT CHECK (oauth2_provider IN ('microsoft', 'google', 'generic'));
                ALTER TABLE smtp_servers ADD COLUMN oauth2_tenant TEXT;
                ALTER TABLE smtp_servers ADD COLUMN oauth2_client_id TEXT;
                ALTER TABLE smtp_servers ADD COLUMN oauth2_client_secret_secret TEXT;
                ALTER TABLE smtp_servers ADD COLUMN oauth2_service_account_key_secret TEXT;
                ALTER TABLE smtp_servers ADD COLUMN oauth2_token_url TEXT;
                ALTER TABLE smtp_servers ADD COLUMN oauth2_scope TEXT;
                """)
        }
        // v4: the reference each secret was read through (`${env:NAME}`, or
        // `${file:PATH}` relative to the workspace), so a snapshot can show
        // secrets by reference and a plan without secrets compares them.
        // NULL for secrets written before: the next apply records them.
        migrator.registerMigration("v4") { db in
            try db.execute(sql: "ALTER TABLE secrets ADD COLUMN reference TEXT")
        }
        // v5: each company's waivers (`waivers:` of its file, the store's
        // form of `Waiver.stored`), and what mailform last wrote of each
        // company (`WrittenState`): a later change by another writer (the
        // platform's settings page) shows as drift. Companies written before
        // have no row: their drift is unknown until their next apply.
        migrator.registerMigration("v5") { db in
            try db.execute(sql: """
                ALTER TABLE companies ADD COLUMN waivers TEXT;
                CREATE TABLE written_state (
                    company_id TEXT PRIMARY KEY NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
                    store_revision INTEGER NOT NULL,
                    digest TEXT NOT NULL,
                    fields TEXT NOT NULL
                );
                """)
        }
        // v6: enumerations out of SQL. A new provider, auth method, OAuth2
        // provider, Mailgun region or pool strategy needs no table rebuild
        // any more: those values are checked where the store is read, from
        // the model's own enumerations (`CompanyShape`, `SMTPServerShape`,
        // `PoolStrategy`), and a row with another value is a
        // `StoreShapeError` that nothing is planned from. This is the one
        // rebuild, SQLite's procedure: each table is made again without its
        // CHECK lists and its rows copied, while the migration runs with
        // foreign keys off (GRDB checks them before it commits).
        migrator.registerMigration("v6") { db in
            try rebuild(db, "companies", """
                id TEXT PRIMARY KEY NOT NULL,
                name TEXT,
                revision INTEGER NOT NULL CHECK (revision >= 1),
                provider TEXT NOT NULL,
                sender_email TEXT NOT NULL,
                sender_name TEXT,
                logo_url TEXT,
                logo_file_name TEXT,
                logo_media_type TEXT,
                logo_data BLOB,
                logo_sha256 TEXT,
                dsar_email TEXT,
                dsar_name TEXT,
                probe_disabled_reason TEXT,
                updated_at TEXT NOT NULL,
                updated_by_revision INTEGER NOT NULL,
                waivers TEXT
                """)
            try rebuild(db, "smtp_pools", """
                company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                use_for TEXT NOT NULL,
                strategy TEXT NOT NULL,
                PRIMARY KEY (company_id, name)
                """)
            try rebuild(db, "smtp_servers", """
                company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
                pool_name TEXT NOT NULL DEFAULT '',
                position INTEGER NOT NULL,
                host TEXT NOT NULL,
                port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
                username TEXT,
                password_secret TEXT,
                starttls TEXT NOT NULL,
                ssl INTEGER NOT NULL,
                ssl_trust TEXT NOT NULL DEFAULT '',
                ssl_check_identity INTEGER NOT NULL,
                ssl_protocols TEXT NOT NULL,
                auth TEXT NOT NULL DEFAULT 'none',
                oauth2_provider TEXT,
                oauth2_tenant TEXT,
                oauth2_client_id TEXT,
                oauth2_client_secret_secret TEXT,
                oauth2_service_account_key_secret TEXT,
                oauth2_token_url TEXT,
                oauth2_scope TEXT,
                PRIMARY KEY (company_id, pool_name, position)
                """)
            try rebuild(db, "mailgun_settings", """
                company_id TEXT PRIMARY KEY NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
                domain TEXT NOT NULL,
                api_key_secret TEXT NOT NULL,
                region TEXT NOT NULL
                """)
        }
        // Each HTTP-API provider's table, made of its fields when the
        // provider is added: a new provider is a new table and a migration
        // of its own, never a rebuild. Mailgun's table is older than this
        // (v1, rebuilt in v6); `ProviderTableTests` checks it is the one its
        // fields describe.
        for api in ProviderSchemes.apis where !builtInProviderTables.contains(api.table) {
            migrator.registerMigration("provider-\(api.word)-v1") { db in
                try db.execute(sql: "CREATE TABLE \(api.table) (\n\(api.tableDefinition)\n)")
            }
        }
        return migrator
    }

    /// The providers' tables the numbered migrations made.
    static let builtInProviderTables: Set<String> = ["mailgun_settings"]

    /// Makes `table` again with `columns` (the same column names; other
    /// constraints), its rows copied: create, copy, drop, rename. Runs in a
    /// migration, with foreign keys off (dropping a parent table would
    /// otherwise delete its children).
    static func rebuild(_ db: Database, _ table: String, _ columns: String) throws {
        let names = try Row.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?) ORDER BY cid", arguments: [table]).map { $0["name"] as String }
        let list = names.map { "\"\($0)\"" }.joined(separator: ", ")
        try db.execute(sql: """
            CREATE TABLE \(table)_rebuilt (
            \(columns)
            );
            INSERT INTO \(table)_rebuilt (\(list)) SELECT \(list) FROM \(table);
            DROP TABLE \(table);
            ALTER TABLE \(table)_rebuilt RENAME TO \(table);
            """)
    }
}

import Foundation
