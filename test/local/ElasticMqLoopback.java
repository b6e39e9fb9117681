/*
 * Starts ElasticMQ (an SQS-compatible server) and ties its lifetime to the
 * process that started it: when stdin reaches EOF (the parent closed it or
 * died) the JVM exits, so the server never outlives its tests or sandbox.
 * The listening address (127.0.0.1 and a port) is in the config file given
 * with -Dconfig.file (test/local/elasticmq.ts writes it).
 *
 * Run in Java 11+ source-file mode (no javac step):
 *   java -Dconfig.file=emq.conf -cp ".tools/elasticmq/lib/*" test/local/ElasticMqLoopback.java
 */

import java.io.InputStream;

public final class ElasticMqLoopback {
  private ElasticMqLoopback() {}

  public static void main(String[] args) throws Exception {
    Thread watcher = new Thread(() -> {
      try {
        InputStream in = System.in;
        byte[] buffer = new byte[256];
        while (in.read(buffer) >= 0) {
          // keep reading until EOF
        }
      } catch (Exception ignored) {
        // a broken pipe is EOF too
      }
      Runtime.getRuntime().halt(0);
    }, "stdin-watcher");
    watcher.setDaemon(true);
    watcher.start();
    // By reflection: the launcher compiles without ElasticMQ on the compile path.
    Class.forName("org.elasticmq.server.Main").getMethod("main", String[].class).invoke(null, (Object) args);
  }
}
