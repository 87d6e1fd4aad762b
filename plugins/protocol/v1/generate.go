// Package protocolv1 is the generated gRPC code for version 1 of the
// connector plugin protocol (connector.proto). Do not edit the *.pb.go files:
// change connector.proto and run `make proto` (go generate ./plugins/...),
// which needs protoc and protoc-gen-go / protoc-gen-go-grpc on PATH.
package protocolv1

//go:generate sh -c "cd ../../.. && protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative plugins/protocol/v1/connector.proto"
