package main

import (
	"fmt"

	"github.com/apache/flink-statefun/statefun-sdk-go/v3/pkg/statefun"
)

// The StateFun playground greeter: example/person counts visits and forwards to
// example/greeter, which writes a greeting to the playground egress topic "greetings".

type GreetRequest struct {
	Name   string `json:"name"`
	Visits int32  `json:"visits"`
}

type EgressRecord struct {
	Topic   string `json:"topic"`
	Payload string `json:"payload"`
}

var (
	PersonTypeName   = statefun.TypeNameFrom("example/person")
	GreeterTypeName  = statefun.TypeNameFrom("example/greeter")
	PlaygroundEgress = statefun.TypeNameFrom("io.statefun.playground/egress")
	GreetRequestType = statefun.MakeJsonType(statefun.TypeNameFrom("example/GreetRequest"))
	EgressRecordType = statefun.MakeJsonType(statefun.TypeNameFrom("io.statefun.playground/EgressRecord"))
	Visits           = statefun.ValueSpec{Name: "visits", ValueType: statefun.Int32Type}
)

func greeterSpecs() []statefun.StatefulFunctionSpec {
	return []statefun.StatefulFunctionSpec{
		{FunctionType: PersonTypeName, States: []statefun.ValueSpec{Visits}, Function: statefun.StatefulFunctionPointer(Person)},
		{FunctionType: GreeterTypeName, Function: statefun.StatefulFunctionPointer(Greeter)},
	}
}

func Person(ctx statefun.Context, message statefun.Message) error {
	var request GreetRequest
	if err := message.As(GreetRequestType, &request); err != nil {
		return fmt.Errorf("failed to deserialize greet request: %w", err)
	}
	var visits int32
	ctx.Storage().Get(Visits, &visits)
	visits++
	ctx.Storage().Set(Visits, visits)

	request.Visits = visits
	ctx.Send(statefun.MessageBuilder{
		Target:    statefun.Address{FunctionType: GreeterTypeName, Id: request.Name},
		Value:     request,
		ValueType: GreetRequestType,
	})
	return nil
}

func Greeter(ctx statefun.Context, message statefun.Message) error {
	var request GreetRequest
	if err := message.As(GreetRequestType, &request); err != nil {
		return fmt.Errorf("failed to deserialize greet request: %w", err)
	}
	ctx.SendEgress(statefun.GenericEgressBuilder{
		Target:    PlaygroundEgress,
		Value:     EgressRecord{Topic: "greetings", Payload: greeting(request.Name, request.Visits)},
		ValueType: EgressRecordType,
	})
	return nil
}

func greeting(name string, visits int32) string {
	templates := []string{"", "Welcome %s", "Nice to see you again %s", "Third time is the charm %s"}
	if int(visits) < len(templates) {
		return fmt.Sprintf(templates[visits], name)
	}
	return fmt.Sprintf("Nice to see you for the %d-th time %s!", visits, name)
}
