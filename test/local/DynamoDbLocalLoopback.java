/*
 * Starts DynamoDB Local bound to 127.0.0.1 only.
 *
 * DynamoDB Local has no bind-address option: its Jetty server listens on
 * 0.0.0.0. This launcher builds the server with DynamoDB Local's own
 * command-line parser, reaches the private Jetty `Server` inside
 * DynamoDBProxyServer by reflection, sets host 127.0.0.1 on every connector and
 * only then starts it. If anything about that fails, it exits non-zero: it never
 * falls back to listening on all interfaces.
 *
 * Run in Java 11+ source-file mode (no javac step), Java 17+ (Jetty 12):
 *   java -cp "<DynamoDBLocal.jar>:<DynamoDBLocal_lib>/*" -Djava.library.path=<DynamoDBLocal_lib> \
 *     test/local/DynamoDbLocalLoopback.java -inMemory -disableTelemetry -port 0
 *
 * Extras over DynamoDB Local's own options:
 *   - `-port 0` picks a free port (DynamoDB Local itself rejects 0).
 *   - On success it prints one line `DYNAMODB_LOCAL_LISTENING 127.0.0.1:<port>` on stdout.
 *   - A port already in use prints `DYNAMODB_LOCAL_PORT_IN_USE <port>` on stderr, exit code 3.
 *   - When stdin reaches EOF (the parent closed it or died) the JVM exits, so the
 *     server never outlives the process that started it.
 */

import java.io.InputStream;
import java.lang.reflect.Field;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class DynamoDbLocalLoopback {
  private static final String HOST = "127.0.0.1";
  private static final int EXIT_FAILURE = 2;
  private static final int EXIT_PORT_IN_USE = 3;

  private DynamoDbLocalLoopback() {}

  public static void main(String[] args) {
    // First thing: tie our lifetime to the parent's, also while still starting up.
    watchStdin();

    if (Runtime.version().feature() < 17) {
      fail("Java 17 or newer is required (DynamoDB Local uses Jetty 12); this is Java " + Runtime.version(), null);
    }

    // DynamoDB Local rejects -port 0; parse with a placeholder and set 0 on the connector ourselves.
    List<String> ddbArgs = new ArrayList<>();
    int requestedPort = 8000;
    for (int i = 0; i < args.length; i++) {
      if ("-port".equals(args[i]) && i + 1 < args.length) {
        try {
          requestedPort = Integer.parseInt(args[i + 1]);
        } catch (NumberFormatException e) {
          fail("invalid -port value: " + args[i + 1], null);
        }
        ddbArgs.add("-port");
        ddbArgs.add(requestedPort == 0 ? "8000" : args[i + 1]);
        i++;
      } else {
        ddbArgs.add(args[i]);
      }
    }

    DynamoDBProxyServer proxy;
    try {
      proxy = ServerRunner.createServerFromCommandLineArgs(ddbArgs.toArray(new String[0]));
    } catch (Exception e) {
      fail("DynamoDB Local rejected its arguments " + ddbArgs, e);
      return;
    }

    Server jetty = jettyServerOf(proxy);
    Connector[] connectors = jetty.getConnectors();
    if (connectors.length == 0) {
      fail("the Jetty server has no connectors; refusing to guess how it listens", null);
    }
    for (Connector c : connectors) {
      if (!(c instanceof ServerConnector)) {
        fail("unexpected connector type " + c.getClass().getName() + "; cannot bind it to " + HOST, null);
      }
      ServerConnector sc = (ServerConnector) c;
      sc.setHost(HOST);
      sc.setPort(requestedPort);
    }

    try {
      // Jetty's start() directly: DynamoDBProxyServer.start() swallows bind errors
      // (prints and returns), and it would send start-up telemetry.
      jetty.start();
    } catch (Exception e) {
      if (hasCause(e, BindException.class)) {
        System.err.println("DYNAMODB_LOCAL_PORT_IN_USE " + requestedPort);
        System.err.flush();
        exit(EXIT_PORT_IN_USE);
      }
      fail("could not start the Jetty server", e);
    }

    // Belt and braces: check what the sockets are really bound to.
    int port = -1;
    for (Connector c : jetty.getConnectors()) {
      ServerConnector sc = (ServerConnector) c;
      Object transport = sc.getTransport();
      if (!(transport instanceof ServerSocketChannel)) {
        fail("connector is not open after start (transport " + transport + ")", null);
      }
      SocketAddress bound;
      try {
        bound = ((ServerSocketChannel) transport).getLocalAddress();
      } catch (Exception e) {
        fail("cannot read the bound address", e);
        return;
      }
      if (!(bound instanceof InetSocketAddress) || !((InetSocketAddress) bound).getAddress().isLoopbackAddress()) {
        fail("listening on " + bound + ", not on loopback only", null);
      }
      port = sc.getLocalPort();
    }

    System.out.println("DYNAMODB_LOCAL_LISTENING " + HOST + ":" + port);
    System.out.flush();

    try {
      jetty.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The private `server` field of DynamoDBProxyServer; fails loudly if it is not there. */
  private static Server jettyServerOf(DynamoDBProxyServer proxy) {
    try {
      Field f = DynamoDBProxyServer.class.getDeclaredField("server");
      f.setAccessible(true);
      Object value = f.get(proxy);
      if (!(value instanceof Server)) {
        fail("DynamoDBProxyServer.server is " + (value == null ? "null" : value.getClass().getName())
            + ", expected org.eclipse.jetty.server.Server", null);
      }
      return (Server) value;
    } catch (ReflectiveOperationException | RuntimeException e) {
      fail("cannot reach DynamoDBProxyServer.server by reflection (has DynamoDB Local changed?)", e);
      return null; // unreachable
    }
  }

  /** A daemon thread that exits the JVM when stdin ends: the parent closed the pipe or died. */
  private static void watchStdin() {
    Thread t = new Thread(() -> {
      InputStream in = System.in;
      byte[] buf = new byte[256];
      try {
        while (in.read(buf) >= 0) {
          // Ignore input; we only wait for EOF.
        }
      } catch (Exception e) {
        // A broken pipe means the same as EOF.
      }
      exit(0);
    }, "stdin-eof-watchdog");
    t.setDaemon(true);
    t.start();
  }

  private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static void fail(String message, Throwable cause) {
    System.err.println("DynamoDbLocalLoopback: " + message);
    if (cause != null) {
      cause.printStackTrace(System.err);
    }
    System.err.flush();
    exit(EXIT_FAILURE);
  }

  private static void exit(int code) {
    System.out.flush();
    System.err.flush();
    System.exit(code);
  }
}
