package io.statefunts.interop.flink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.flink.statefun.flink.harness.Harness;
import org.apache.flink.statefun.flink.harness.io.SerializableConsumer;
import org.apache.flink.statefun.sdk.reqreply.generated.TypedValue;

/**
 * Runs Apache Flink StateFun 3.3.0 in-process (the harness: a Flink mini cluster) against remote
 * functions served over HTTP, feeds it a script of messages and prints what comes out, one JSON
 * object per line on stdout (Flink's own log goes to stderr):
 *
 * <pre>
 * {"kind":"module","path":"/tmp/…/module.yaml"}                  the generated module.yaml
 * {"kind":"sent","at":MS,"to":"ns/type/id","typename":"…"}        a scripted message entered the ingress
 * {"kind":"egress","at":MS,"typename":"…","value":"BASE64"}      a record reached egress interop/out
 * {"kind":"end","reason":"done|job-failed|timeout","error":"…"}   last line; exit code 0 only for done
 * </pre>
 *
 * <p>Usage: {@code java @jvm.args -cp target/classes:$(cat target/classpath.txt)
 * io.statefunts.interop.flink.InteropMain FUNCTIONS_URL SCRIPT_FILE DONE_TYPENAME [TIMEOUT_MS]}
 *
 * <ul>
 *   <li>FUNCTIONS_URL: where every function of namespace {@code interop} is served, e.g. {@code
 *       http://127.0.0.1:8000/} ({@code {function.name}} is appended).
 *   <li>SCRIPT_FILE: one message per line, tab-separated: delay in ms after the previous one,
 *       target {@code namespace/type/id}, typename, value in base64.
 *   <li>DONE_TYPENAME: the run ends once an egress record of this type arrives.
 *   <li>TIMEOUT_MS: the run ends anyway after this long (default 60000).
 * </ul>
 */
public final class InteropMain {
  private static final CountDownLatch DONE = new CountDownLatch(1);
  private static final AtomicReference<Throwable> FAILURE = new AtomicReference<>();

  private InteropMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: InteropMain FUNCTIONS_URL SCRIPT_FILE DONE_TYPENAME [TIMEOUT_MS]");
      System.exit(64);
    }
    String functionsUrl = args[0].endsWith("/") ? args[0] : args[0] + "/";
    List<ScriptedMessage> script = readScript(Paths.get(args[1]));
    String doneTypename = args[2];
    long timeoutMs = args.length > 3 ? Long.parseLong(args[3]) : 60_000;

    // Everything of this run (module.yaml, Flink's blob, io and rpc temp files) in one directory,
    // removed at the end: Flink's own cleanup hooks do not run after halt().
    Path runDir = Files.createTempDirectory("statefun-ts-flink-interop");
    System.setProperty("java.io.tmpdir", runDir.toString());
    Path moduleYaml = writeModuleYaml(runDir, functionsUrl);
    print("{\"kind\":\"module\",\"path\":" + quote(moduleYaml.toString()) + "}");

    Harness harness =
        new Harness()
            // Only our generated module.yaml (the default is classpath:module.yaml).
            .withConfiguration("statefun.remote.module-name", moduleYaml.toUri().toString())
            // A protocol error fails the job at once instead of restarting it forever.
            .withConfiguration("restart-strategy", "none")
            .withConfiguration("io.tmp.dirs", runDir.toString())
            // Keep the mini cluster's REST endpoint off the ports Statefun TS uses (8081…).
            .withConfiguration("rest.bind-port", "0")
            .withConfiguration("rest.bind-address", "127.0.0.1")
            .withConfiguration("rest.address", "127.0.0.1")
            .withParallelism(1)
            .withFlinkSourceFunction(InteropModule.SCRIPT, new ScriptSource(script))
            .withConsumingEgress(InteropModule.OUT, new EgressPrinter(doneTypename));

    Thread job =
        new Thread(
            () -> {
              try {
                harness.start();
                FAILURE.compareAndSet(null, new IllegalStateException("the job finished early"));
              } catch (Throwable t) {
                FAILURE.compareAndSet(null, t);
              }
              DONE.countDown();
            },
            "statefun-harness");
    job.setDaemon(true);
    job.start();

    boolean finished = DONE.await(timeoutMs, TimeUnit.MILLISECONDS);
    Throwable failure = FAILURE.get();
    String reason = !finished ? "timeout" : failure != null ? "job-failed" : "done";
    String error = failure == null ? "" : ",\"error\":" + quote(rootCauses(failure));
    print("{\"kind\":\"end\",\"reason\":\"" + reason + "\"" + error + "}");
    deleteRecursively(runDir);
    // Flink's shutdown hooks may take a while; the run is over.
    Runtime.getRuntime().halt("done".equals(reason) ? 0 : 1);
  }

  /** Prints what the egress receives; counts down when the final record arrives. */
  static final class EgressPrinter implements SerializableConsumer<TypedValue> {
    private static final long serialVersionUID = 1L;
    private final String doneTypename;

    EgressPrinter(String doneTypename) {
      this.doneTypename = doneTypename;
    }

    @Override
    public void accept(TypedValue value) {
      print("{\"kind\":\"egress\",\"at\":" + System.currentTimeMillis()
          + ",\"typename\":" + quote(value.getTypename())
          + ",\"value\":\"" + Base64.getEncoder().encodeToString(value.getValue().toByteArray()) + "\"}");
      if (value.getTypename().equals(doneTypename)) DONE.countDown();
    }
  }

  /**
   * The remote module: every function type of namespace {@code interop} is served at
   * FUNCTIONS_URL + function name, with StateFun's default transport (the asynchronous Netty
   * client) and a call timeout short enough to fail within the test's budget.
   */
  private static Path writeModuleYaml(Path dir, String functionsUrl) throws IOException {
    String yaml =
        "kind: io.statefun.endpoints.v2/http\n"
            + "spec:\n"
            + "  functions: interop/*\n"
            + "  urlPathTemplate: " + functionsUrl + "{function.name}\n"
            + "  transport:\n"
            + "    timeouts:\n"
            + "      call: 20s\n"
            + "      connect: 5s\n"
            + "      read: 10s\n"
            + "      write: 10s\n";
    Path file = dir.resolve("module.yaml");
    Files.write(file, yaml.getBytes(StandardCharsets.UTF_8));
    return file;
  }

  private static List<ScriptedMessage> readScript(Path file) throws IOException {
    List<ScriptedMessage> script = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      String[] cols = line.split("\t", -1);
      String[] address = cols[1].split("/", -1);
      if (cols.length != 4 || address.length != 3) throw new IllegalArgumentException("bad script line: " + line);
      ScriptedMessage message = new ScriptedMessage();
      message.afterMs = Long.parseLong(cols[0]);
      message.namespace = address[0];
      message.type = address[1];
      message.id = address[2];
      message.typename = cols[2];
      message.value = Base64.getDecoder().decode(cols[3]);
      script.add(message);
    }
    return script;
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      System.err.println("could not remove " + dir + ": " + e);
    }
  }

  static void print(String jsonLine) {
    synchronized (System.out) {
      System.out.println(jsonLine);
      System.out.flush();
    }
  }

  private static String rootCauses(Throwable t) {
    StringBuilder text = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (text.length() > 0) text.append(" <- ");
      text.append(c.getClass().getName()).append(": ").append(c.getMessage());
    }
    return text.toString();
  }

  static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        default:
          if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
      }
    }
    return out.append('"').toString();
  }
}
