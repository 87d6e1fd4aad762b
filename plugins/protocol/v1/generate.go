// Package protocolv1 is the generated gRPC code for version 1 of the
// connector plugin protocol (connector.proto). Do not edit the *.pb.go files:
// change connector.proto and run `make proto` (go generate ./plugins/...),
// which needs protoc (the protobuf-compiler package); the generators are go.mod tools.
package protocolv1

//go:generate make -C ../../.. proto
