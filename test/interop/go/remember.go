package main

import (
	"fmt"
	"time"

	"github.com/apache/flink-statefun/statefun-sdk-go/v3/pkg/statefun"
)

// example/remember stores each message (a string) in a state that expires 2 s after the
// last call, and replies to its caller with the one it had ("" if none): for request-reply
// and time-to-live tests.

var (
	RememberTypeName = statefun.TypeNameFrom("example/remember")
	Last             = statefun.ValueSpec{Name: "last", ValueType: statefun.StringType, Expiration: statefun.ExpireAfterCall(2 * time.Second)}
)

func rememberSpecs() []statefun.StatefulFunctionSpec {
	return []statefun.StatefulFunctionSpec{
		{FunctionType: RememberTypeName, States: []statefun.ValueSpec{Last}, Function: statefun.StatefulFunctionPointer(Remember)},
	}
}

func Remember(ctx statefun.Context, message statefun.Message) error {
	if !message.IsString() {
		return fmt.Errorf("example/remember takes io.statefun.types/string, got %s", message.ValueTypeName())
	}
	var previous string
	ctx.Storage().Get(Last, &previous)
	ctx.Storage().Set(Last, message.AsString())
	if caller := ctx.Caller(); caller != nil {
		ctx.Send(statefun.MessageBuilder{Target: *caller, Value: previous})
	}
	return nil
}
