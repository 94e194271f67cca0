package io.statefunts.interop.flink;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.api.functions.source.SourceFunction;

/**
 * Emits the scripted messages in order, waiting {@code afterMs} before each, then idles until the
 * job is cancelled (a finished source would not stop a StateFun job anyway: its feedback loop and
 * timers keep it running).
 */
final class ScriptSource implements SourceFunction<ScriptedMessage> {
  private static final long serialVersionUID = 1L;

  private final ArrayList<ScriptedMessage> script;
  private volatile boolean running = true;

  ScriptSource(List<ScriptedMessage> script) {
    this.script = new ArrayList<>(script);
  }

  @Override
  public void run(SourceContext<ScriptedMessage> ctx) throws Exception {
    for (ScriptedMessage message : script) {
      if (message.afterMs > 0) Thread.sleep(message.afterMs);
      if (!running) return;
      synchronized (ctx.getCheckpointLock()) {
        ctx.collect(message);
      }
      InteropMain.print("{\"kind\":\"sent\",\"at\":" + System.currentTimeMillis()
          + ",\"to\":" + InteropMain.quote(message.namespace + "/" + message.type + "/" + message.id)
          + ",\"typename\":" + InteropMain.quote(message.typename) + "}");
    }
    while (running) Thread.sleep(100);
  }

  @Override
  public void cancel() {
    running = false;
  }
}
