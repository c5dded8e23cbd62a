// The platform's own mail client as a judge: reads store rows mailform wrote
// (one per line, tab-separated, the columns of smtp_servers and the
// decrypted secret), maps them to mail.smtp.* properties exactly as
// docs/store.md says, and runs Transport.connect() + close() with Jakarta
// Mail 2.x (jakarta.mail) or JavaMail 1.6 (javax.mail), chosen by the first
// argument. Prints one verdict per row: NAME<TAB>OK, or NAME<TAB>FAIL<TAB>why.
//
//   java -cp CLASSES:/usr/share/java/jakarta-mail.jar:/usr/share/java/jakarta-activation.jar \
//        [--add-exports java.base/sun.security.util=ALL-UNNAMED] \
//        -Djavax.net.ssl.trustStore=TRUST.p12 -Djavax.net.ssl.trustStorePassword=changeit \
//        StoreJudge jakarta|javax ROWS.tsv TIMEOUT_MS
//
// Row columns: name, host, port, username, auth, starttls, ssl, ssl_trust,
// ssl_check_identity, ssl_protocols, password (empty strings for NULL).
// Test-only: every target is a server on 127.0.0.1.
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.Properties;

public class StoreJudge {
    public static void main(String[] args) throws Exception {
        String pkg = args[0].equals("javax") ? "javax.mail" : "jakarta.mail";
        List<String> rows = Files.readAllLines(Paths.get(args[1]), StandardCharsets.UTF_8);
        String timeout = args.length > 2 ? args[2] : "10000";
        Class<?> sessionClass = Class.forName(pkg + ".Session");
        for (String line : rows) {
            if (line.isEmpty()) continue;
            String[] c = line.split("\t", -1);
            String name = c[0], host = c[1], username = c[3], auth = c[4], starttls = c[5];
            int port = Integer.parseInt(c[2]);
            Properties p = new Properties();
            // docs/store.md, smtp_servers: each column's property.
            p.put("mail.smtp.host", host);
            p.put("mail.smtp.port", String.valueOf(port));
            if (!username.isEmpty()) p.put("mail.smtp.user", username);
            p.put("mail.smtp.auth", String.valueOf(!auth.equals("none")));
            p.put("mail.smtp.starttls.enable", String.valueOf(starttls.equals("required") || starttls.equals("optional")));
            p.put("mail.smtp.starttls.required", String.valueOf(starttls.equals("required")));
            p.put("mail.smtp.ssl.enable", String.valueOf(c[6].equals("1")));
            if (!c[7].isEmpty()) p.put("mail.smtp.ssl.trust", c[7]);
            p.put("mail.smtp.ssl.checkserveridentity", String.valueOf(c[8].equals("1")));
            if (!c[9].isEmpty()) p.put("mail.smtp.ssl.protocols", c[9]);
            // The timeouts docs/store.md asks the platform to set (its default is none).
            p.put("mail.smtp.connectiontimeout", timeout);
            p.put("mail.smtp.timeout", timeout);
            p.put("mail.smtp.writetimeout", timeout);
            String verdict;
            Object transport = null;
            try {
                Object session = sessionClass.getMethod("getInstance", Properties.class).invoke(null, p);
                transport = sessionClass.getMethod("getTransport", String.class).invoke(session, "smtp");
                String user = auth.equals("none") ? null : username;
                String password = auth.equals("none") ? null : c[10];
                transport.getClass().getMethod("connect", String.class, int.class, String.class, String.class)
                    .invoke(transport, host, port, user, password);
                verdict = "OK";
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                StringBuilder why = new StringBuilder();
                for (Throwable t = cause; t != null && why.length() < 400; t = t.getCause()) {
                    if (why.length() > 0) why.append(" <- ");
                    why.append(t.getClass().getSimpleName()).append(": ").append(String.valueOf(t.getMessage()));
                }
                verdict = "FAIL\t" + why.toString().replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
            } finally {
                if (transport != null) {
                    try { transport.getClass().getMethod("close").invoke(transport); } catch (Exception ignored) { }
                }
            }
            System.out.println(name + "\t" + verdict);
            System.out.flush();
        }
    }
}
