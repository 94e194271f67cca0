package io.statefunts.interop.flink;

import com.google.protobuf.ByteString;
import java.util.Map;
import org.apache.flink.statefun.sdk.Address;
import org.apache.flink.statefun.sdk.FunctionType;
import org.apache.flink.statefun.sdk.io.EgressIdentifier;
import org.apache.flink.statefun.sdk.io.IngressIdentifier;
import org.apache.flink.statefun.sdk.io.Router;
import org.apache.flink.statefun.sdk.reqreply.generated.TypedValue;
import org.apache.flink.statefun.sdk.spi.StatefulFunctionModule;

/**
 * The Java side of the interop job, found by StateFun through {@code META-INF/services}: the
 * ingress of scripted messages and the router that forwards each to its remote function. The
 * functions themselves are remote (module.yaml written by {@link InteropMain}); ingress and
 * egress are supplied by the harness ({@code withFlinkSourceFunction}, {@code withConsumingEgress}).
 */
public final class InteropModule implements StatefulFunctionModule {

  /** Where the scripted messages enter. */
  public static final IngressIdentifier<ScriptedMessage> SCRIPT =
      new IngressIdentifier<>(ScriptedMessage.class, "interop", "script");

  /**
   * What remote functions emit with egress namespace {@code interop}, type {@code out}: remote
   * functions' egress records reach Flink as the protocol's TypedValue.
   */
  public static final EgressIdentifier<TypedValue> OUT = new EgressIdentifier<>("interop", "out", TypedValue.class);

  @Override
  public void configure(Map<String, String> globalConfiguration, Binder binder) {
    binder.bindIngressRouter(SCRIPT, new ScriptRouter());
  }

  /**
   * Sends each scripted message to its target as a TypedValue, which is what remote functions
   * take. (The SDK types {@code Downstream} by the router's input; StateFun accepts any payload.)
   */
  static final class ScriptRouter implements Router<ScriptedMessage> {
    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public void route(ScriptedMessage message, Downstream<ScriptedMessage> downstream) {
      TypedValue value =
          TypedValue.newBuilder()
              .setTypename(message.typename)
              .setHasValue(true)
              .setValue(ByteString.copyFrom(message.value))
              .build();
      Address target = new Address(new FunctionType(message.namespace, message.type), message.id);
      ((Downstream) downstream).forward(target, value);
    }
  }
}
