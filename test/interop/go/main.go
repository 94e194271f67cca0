// Command functions serves the Go interop functions of Statefun TS over the StateFun
// request-reply protocol, with the official StateFun Go SDK: the playground greeter
// (example/person, example/greeter), a state with a time to live (example/remember) and
// the crash verifier's command interpreter (verifier/counter).
//
//	functions -port 8000    # POST http://127.0.0.1:8000/statefun (or /statefun/<anything>)
//	functions -port 0       # any free port
//
// It prints "listening on http://HOST:PORT" once it accepts connections (the port actually
// bound, so a caller passing 0 learns it). A function that returns an error answers 500.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/apache/flink-statefun/statefun-sdk-go/v3/pkg/statefun"
)

func main() {
	host := flag.String("host", "127.0.0.1", "address to bind")
	port := flag.Int("port", 8000, "port to listen on (0: any free port)")
	flag.Parse()

	builder := statefun.StatefulFunctionsBuilder()
	for _, spec := range concat(greeterSpecs(), rememberSpecs(), verifierSpecs()) {
		if err := builder.WithSpec(spec); err != nil {
			log.Fatalf("registering %v: %v", spec.FunctionType, err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/statefun", builder.AsHandler())
	mux.Handle("/statefun/", builder.AsHandler())

	listener, err := net.Listen("tcp", net.JoinHostPort(*host, fmt.Sprint(*port)))
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	fmt.Fprintf(os.Stdout, "listening on http://%s\n", listener.Addr())
	log.Fatal(http.Serve(listener, mux))
}

func concat(lists ...[]statefun.StatefulFunctionSpec) (all []statefun.StatefulFunctionSpec) {
	for _, list := range lists {
		all = append(all, list...)
	}
	return all
}
