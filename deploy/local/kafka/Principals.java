// Creates the local broker's SCRAM users and ACLs from acls.txt, through
// Kafka's own Admin client (one JVM for everything, instead of one
// kafka-configs or kafka-acls run per line).
//
//   java -cp "$KAFKA_LIB/*" Principals.java CLIENT_PROPERTIES ACLS SECRETS_DIR [--namespace NS]
//
// Without --namespace: every principal of the table gets a SCRAM-SHA-512
// login (its password is read from SECRETS_DIR/<principal>, made there on
// first use), and the broker's ACLs for those principals become exactly the
// table's. With --namespace NS: the table's ACLs are added for the names a
// ledger under NS uses (tests), leaving everything else alone.

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

public class Principals {
    public static void main(String[] args) throws Exception {
        if (args.length != 3 && !(args.length == 5 && args[3].equals("--namespace"))) {
            System.err.println("usage: Principals CLIENT_PROPERTIES ACLS SECRETS_DIR [--namespace NS]");
            System.exit(2);
        }
        Properties client = new Properties();
        try (var in = Files.newInputStream(Path.of(args[0]))) {
            client.load(in);
        }
        String namespace = args.length == 5 ? args[4] : "";
        Set<String> principals = new LinkedHashSet<>();
        Set<AclBinding> wanted = new LinkedHashSet<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(Path.of(args[1]))) {
            lineNo++;
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) continue;
            String[] f = trimmed.split("\\s+");
            if (f.length != 5) throw new IllegalArgumentException(args[1] + ":" + lineNo + ": expected 5 columns");
            principals.add(f[0]);
            ResourcePattern resource = new ResourcePattern(resourceType(f[1]), rename(f[3], namespace), patternType(f[2]));
            for (String op : f[4].split(",")) {
                AclOperation operation = AclOperation.fromString(op);
                if (operation == AclOperation.UNKNOWN) throw new IllegalArgumentException(args[1] + ":" + lineNo + ": no operation " + op);
                wanted.add(new AclBinding(resource, new AccessControlEntry("User:" + f[0], "*", operation, AclPermissionType.ALLOW)));
            }
        }
        try (Admin admin = Admin.create(client)) {
            if (namespace.isEmpty()) {
                List<UserScramCredentialAlteration> logins = new ArrayList<>();
                for (String principal : principals) {
                    logins.add(new UserScramCredentialUpsertion(principal,
                            new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192),
                            password(Path.of(args[2]), principal)));
                }
                admin.alterUserScramCredentials(logins).all().get(60, TimeUnit.SECONDS);
                // What the table no longer grants is taken away.
                List<AclBindingFilter> stale = new ArrayList<>();
                for (AclBinding existing : admin.describeAcls(AclBindingFilter.ANY).values().get(60, TimeUnit.SECONDS)) {
                    String who = existing.entry().principal().replaceFirst("^User:", "");
                    boolean namespaced = existing.pattern().name().matches("^t[0-9a-f]{12}[.-].*");
                    if (principals.contains(who) && !namespaced && !wanted.contains(existing)) {
                        stale.add(existing.toFilter());
                    }
                }
                if (!stale.isEmpty()) admin.deleteAcls(stale).all().get(60, TimeUnit.SECONDS);
            }
            admin.createAcls(wanted).all().get(60, TimeUnit.SECONDS);
        }
        System.out.printf("%d principals, %d ACLs%s%n", principals.size(), wanted.size(),
                namespace.isEmpty() ? "" : " under namespace " + namespace);
    }

    // The names a ledger under `namespace` gives its topics, transactional
    // ids and groups (services/kafka/src/topics.rs).
    static String rename(String name, String namespace) {
        if (namespace.isEmpty()) return name;
        if (name.startsWith("ledger.")) return namespace + "." + name;
        if (name.startsWith("ledger-")) return namespace + "-" + name.substring("ledger-".length());
        return name;
    }

    static ResourceType resourceType(String s) {
        switch (s) {
            case "topic": return ResourceType.TOPIC;
            case "group": return ResourceType.GROUP;
            case "transactional-id": return ResourceType.TRANSACTIONAL_ID;
            case "cluster": return ResourceType.CLUSTER;
            default: throw new IllegalArgumentException("no resource type " + s);
        }
    }

    static PatternType patternType(String s) {
        switch (s) {
            case "literal": return PatternType.LITERAL;
            case "prefixed": return PatternType.PREFIXED;
            default: throw new IllegalArgumentException("no pattern type " + s);
        }
    }

    // The principal's password: kept in a file only its owner can read,
    // made on first use.
    static String password(Path dir, String principal) throws Exception {
        Path file = dir.resolve(principal);
        if (!Files.exists(file)) {
            Files.createDirectories(dir);
            byte[] bytes = new byte[24];
            new SecureRandom().nextBytes(bytes);
            Files.writeString(file, HexFormat.of().formatHex(bytes));
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
        return Files.readString(file).strip();
    }
}
