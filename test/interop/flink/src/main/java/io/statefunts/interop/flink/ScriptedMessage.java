package io.statefunts.interop.flink;

import java.io.Serializable;

/**
 * One message of the script: sent {@code afterMs} after the previous one, to the address
 * {@code namespace/type/id}, typed {@code typename} with the bytes {@code value}. A plain
 * serializable POJO, so Flink moves it without Kryo surprises.
 */
public final class ScriptedMessage implements Serializable {
  private static final long serialVersionUID = 1L;

  public long afterMs;
  public String namespace;
  public String type;
  public String id;
  public String typename;
  public byte[] value;

  public ScriptedMessage() {}
}
