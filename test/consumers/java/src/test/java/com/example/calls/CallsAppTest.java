package com.example.calls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.example.cdk.connect.outboundcaller.OutboundCaller;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.zip.GZIPInputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** A Java CDK app using OutboundCaller from the built Maven package (see README, "Other languages"). */
class CallsAppTest {
    private static final String INSTANCE = "10a4c4eb-f57e-4d4c-b602-bf39176ced07";

    @TempDir
    static Path outdir;

    private static Template template;
    private static String assemblyDirectory;

    @BeforeAll
    static void synthesize() {
        App app = App.Builder.create().outdir(outdir.resolve("cdk.out").toString()).build();
        Stack stack = CallsApp.callsStack(app);
        template = Template.fromStack(stack);
        assemblyDirectory = app.synth().getDirectory();
    }

    @Test
    void noEsbuildOrDockerOnThePath() {
        for (String folder : System.getenv("PATH").split(File.pathSeparator)) {
            assertTrue(!new File(folder, "esbuild").exists() && !new File(folder, "docker").exists(), folder);
        }
    }

    @Test
    void routeIsPutContactOutboundVoiceBehindAnApiKey() {
        Map<String, Map<String, Object>> routes = template.findResources("AWS::ApiGateway::Resource",
            Map.of("Properties", Map.of("PathPart", "outbound-voice")));
        assertEquals(1, routes.size());
        String route = routes.keySet().iterator().next();
        template.hasResourceProperties("AWS::ApiGateway::Method", Map.of(
            "HttpMethod", "PUT",
            "ResourceId", Map.of("Ref", route),
            "AuthorizationType", "NONE",
            "ApiKeyRequired", true));
        template.resourceCountIs("AWS::ApiGateway::ApiKey", 1);
        template.hasResourceProperties("AWS::ApiGateway::UsagePlan", Map.of(
            "ApiStages", List.of(Match.objectLike(Map.of(
                "Throttle", Map.of("/contact/outbound-voice/PUT", Map.of("RateLimit", 2, "BurstLimit", 5)))))));
    }

    @Test
    void ledgerExpiresRecordsAfterTheIdempotencyWindow() {
        template.hasResourceProperties("AWS::DynamoDB::Table", Map.of(
            "TimeToLiveSpecification", Map.of("AttributeName", "expiresAt", "Enabled", true),
            "PointInTimeRecoverySpecification", Map.of("PointInTimeRecoveryEnabled", true)));
        template.hasResourceProperties("AWS::Lambda::Function", Map.of(
            "Environment", Map.of("Variables", Match.objectLike(Map.of(
                "IDEMPOTENCY_WINDOW_SECONDS", "172800",
                "QUEUE_ID", "5a3a2e56-9b44-4e8b-8f7e-0c1d2e3f4a5b",
                "ALLOWED_DESTINATION_COUNTRIES", "GB,IE",
                "AUTH_MODE", "API_KEY")))));
    }

    @Test
    @SuppressWarnings("unchecked")
    void connectPermissionIsScopedToContactsOfThisInstance() {
        template.hasResourceProperties("AWS::IAM::Policy", Map.of(
            "PolicyDocument", Map.of("Statement", Match.arrayWith(List.of(Match.objectLike(Map.of(
                "Action", "connect:StartOutboundVoiceContact",
                "Resource", "arn:aws:connect:eu-west-2:111122223333:instance/" + INSTANCE + "/contact/*")))))));
        for (Map<String, Object> policy : template.findResources("AWS::IAM::Policy").values()) {
            Map<String, Object> document = (Map<String, Object>) ((Map<String, Object>) policy.get("Properties")).get("PolicyDocument");
            for (Map<String, Object> statement : (List<Map<String, Object>>) document.get("Statement")) {
                Object action = statement.get("Action");
                List<String> actions = action instanceof List ? (List<String>) action : List.of((String) action);
                if ("*".equals(statement.get("Resource"))) {
                    assertTrue(actions.stream().allMatch(a -> a.startsWith("xray:")), statement.toString());
                }
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void functionCodeIsTheShippedBundle() throws IOException {
        Map<String, Map<String, Object>> functions = template.findResources("AWS::Lambda::Function");
        assertEquals(2, functions.size());
        Map<String, String> descriptions = Map.of(
            "outbound-caller", "OutboundCaller: PUT /contact/outbound-voice",
            "contact-events", "OutboundCaller: contact events to call status");
        for (Map.Entry<String, String> bundle : descriptions.entrySet()) {
            Map<String, Object> properties = functions.values().stream()
                .map(f -> (Map<String, Object>) f.get("Properties"))
                .filter(p -> bundle.getValue().equals(p.get("Description")))
                .findFirst().orElseThrow();
            String key = (String) ((Map<String, Object>) properties.get("Code")).get("S3Key");
            // The staged copy: asset.<hash>, with the source folder's extension on newer aws-cdk-lib.
            String prefix = "asset." + key.replace(".zip", "");
            List<Path> staged;
            try (Stream<Path> entries = Files.list(Path.of(assemblyDirectory))) {
                staged = entries.filter(p -> p.getFileName().toString().startsWith(prefix)).collect(Collectors.toList());
            }
            assertEquals(1, staged.size(), prefix);
            assertArrayEquals(shippedBundle(bundle.getKey()), Files.readAllBytes(staged.get(0).resolve("index.js")), bundle.getKey());
        }
    }

    @Test
    void invalidPropsListEveryProblemWithPropValueAndFix() {
        Stack stack = new Stack(new App(), "Invalid");
        RuntimeException error = assertThrows(RuntimeException.class, () -> OutboundCaller.Builder.create(stack, "Caller")
            .instanceId("nope")
            .contactFlowId("abc")
            .sourcePhoneNumber("12345")
            .build());
        String message = error.getMessage();
        assertTrue(message.contains("OutboundCaller: 3 problem(s) in props:"), message);
        assertTrue(message.contains("instanceId must be a Connect instance id (a GUID) or an instance ARN; got \"nope\". Copy the instance ARN"), message);
        assertTrue(message.contains("contactFlowId must be a contact-flow GUID or a contact-flow ARN; got \"abc\"."), message);
        assertTrue(message.contains("sourcePhoneNumber must be an E.164 phone number (+ and 2 to 15 digits, no spaces); got \"12345\". Write it like +14155550100"), message);
    }

    /** The handler bundle inside the jar's embedded npm tarball, as built by `projen bundle`. */
    private static byte[] shippedBundle(final String name) throws IOException {
        String wanted = "package/assets/lambda/" + name + ".lambda/index.js";
        File jar = new File(OutboundCaller.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        try (JarFile jarFile = new JarFile(jar)) {
            ZipEntry tarball = jarFile.stream().filter(e -> e.getName().endsWith(".jsii.tgz")).findFirst().orElseThrow();
            try (DataInputStream tar = new DataInputStream(new GZIPInputStream(jarFile.getInputStream(tarball)))) {
                byte[] header = new byte[512];
                while (true) {
                    tar.readFully(header);
                    if (header[0] == 0) {
                        throw new EOFException(wanted + " is not in " + tarball.getName());
                    }
                    String entry = field(header, 345, 155).isEmpty() ? field(header, 0, 100)
                        : field(header, 345, 155) + "/" + field(header, 0, 100);
                    int size = Integer.parseInt(field(header, 124, 12).trim(), 8);
                    byte[] data = new byte[size];
                    tar.readFully(data);
                    tar.readFully(new byte[(512 - size % 512) % 512]);
                    if (entry.equals(wanted)) {
                        return data;
                    }
                }
            }
        }
    }

    private static String field(final byte[] header, final int offset, final int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.US_ASCII);
    }
}
