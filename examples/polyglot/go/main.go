// Command functions serves the Go function of the polyglot shop, shop/shipping, over the
// StateFun request-reply protocol with the official StateFun Go SDK.
//
//	functions -port 8002    # POST http://127.0.0.1:8002/statefun (or /statefun/<anything>)
//	functions -port 0       # any free port
//
// It prints "listening on http://HOST:PORT" once it accepts connections (the port actually
// bound, so a caller passing 0 learns it).
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"

	"github.com/apache/flink-statefun/statefun-sdk-go/v3/pkg/statefun"
)

func main() {
	host := flag.String("host", "127.0.0.1", "address to bind")
	port := flag.Int("port", 8002, "port to listen on (0: any free port)")
	flag.Parse()

	builder := statefun.StatefulFunctionsBuilder()
	err := builder.WithSpec(statefun.StatefulFunctionSpec{FunctionType: ShippingTypeName, Function: statefun.StatefulFunctionPointer(Shipping)})
	if err != nil {
		log.Fatalf("registering %v: %v", ShippingTypeName, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/statefun", builder.AsHandler())
	mux.Handle("/statefun/", builder.AsHandler())

	listener, err := net.Listen("tcp", net.JoinHostPort(*host, fmt.Sprint(*port)))
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	fmt.Printf("listening on http://%s\n", listener.Addr())
	log.Fatal(http.Serve(listener, mux))
}
