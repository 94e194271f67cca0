package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/apache/flink-statefun/statefun-sdk-go/v3/pkg/statefun"
)

// The crash verifier's command interpreter, the twin of test/e2e/verifier/module.ts:
// verifier/counter runs trees of commands (verifier/Commands JSON) and counts its incs.

// A command; Cmds stays raw so that a forwarded tree is sent exactly as it came.
type command struct {
	Op   string          `json:"op"`
	To   string          `json:"to"`
	Ms   int64           `json:"ms"`
	Cmds json.RawMessage `json:"cmds"`
	ID   string          `json:"id"`
}

// A verifier/Commands message: a tree to run, or the cancellation of a token.
type commands struct {
	Cmds   []json.RawMessage `json:"cmds"`
	Cancel *string           `json:"cancel"`
}

type tree struct {
	Cmds json.RawMessage `json:"cmds"`
}

type cancel struct {
	Cancel string `json:"cancel"`
}

var (
	CounterTypeName = statefun.TypeNameFrom("verifier/counter")
	CommandsType    = statefun.MakeJsonType(statefun.TypeNameFrom("verifier/Commands"))
	Count           = statefun.ValueSpec{Name: "count", ValueType: statefun.Int32Type}
	// How many "cancelled" commands this instance ran: makes each cancellation token unique.
	Cancellations = statefun.ValueSpec{Name: "cancellations", ValueType: statefun.Int32Type}
)

const verifiedTopic = "verified"

func verifierSpecs() []statefun.StatefulFunctionSpec {
	return []statefun.StatefulFunctionSpec{{
		FunctionType: CounterTypeName,
		States:       []statefun.ValueSpec{Count, Cancellations},
		Function:     statefun.StatefulFunctionPointer(Counter),
	}}
}

func Counter(ctx statefun.Context, message statefun.Message) error {
	var body commands
	if err := message.As(CommandsType, &body); err != nil {
		return fmt.Errorf("verifier/counter: not a verifier/Commands message %q: %w", message.RawValue(), err)
	}
	if body.Cancel != nil {
		token, err := statefun.NewCancellationToken(*body.Cancel)
		if err != nil {
			return err
		}
		ctx.CancelDelayedMessage(token)
		return nil
	}
	if body.Cmds == nil {
		return fmt.Errorf("verifier/counter: neither cmds nor cancel in %q", message.RawValue())
	}
	for _, raw := range body.Cmds {
		var cmd command
		if err := json.Unmarshal(raw, &cmd); err != nil {
			return fmt.Errorf("verifier/counter: bad command %s: %w", raw, err)
		}
		if err := run(ctx, cmd); err != nil {
			return fmt.Errorf("verifier/counter: %w in command %s", err, raw)
		}
	}
	return nil
}

func run(ctx statefun.Context, cmd command) error {
	at := func(id string) statefun.Address { return statefun.Address{FunctionType: CounterTypeName, Id: id} }
	delay := time.Duration(cmd.Ms) * time.Millisecond
	switch cmd.Op {
	case "inc":
		var count int32
		ctx.Storage().Get(Count, &count)
		ctx.Storage().Set(Count, count+1)
	case "send":
		ctx.Send(statefun.MessageBuilder{Target: at(cmd.To), Value: tree{cmd.Cmds}, ValueType: CommandsType})
	case "sendAfter":
		ctx.SendAfter(delay, statefun.MessageBuilder{Target: at(cmd.To), Value: tree{cmd.Cmds}, ValueType: CommandsType})
	case "cancelled":
		var n int32
		ctx.Storage().Get(Cancellations, &n)
		n++
		ctx.Storage().Set(Cancellations, n)
		token, err := statefun.NewCancellationToken(fmt.Sprintf("verifier/%s/%d", ctx.Self().Id, n))
		if err != nil {
			return err
		}
		ctx.SendAfterWithCancellationToken(delay, token,
			statefun.MessageBuilder{Target: at(cmd.To), Value: tree{cmd.Cmds}, ValueType: CommandsType})
		// FIFO per pair: this reaches this instance right after the current invocation.
		ctx.Send(statefun.MessageBuilder{Target: ctx.Self(), Value: cancel{token.Token()}, ValueType: CommandsType})
	case "egress":
		ctx.SendEgress(statefun.GenericEgressBuilder{
			Target:    PlaygroundEgress,
			Value:     EgressRecord{Topic: verifiedTopic, Payload: cmd.ID},
			ValueType: EgressRecordType,
		})
	default:
		return fmt.Errorf("unknown op %q", cmd.Op)
	}
	return nil
}
