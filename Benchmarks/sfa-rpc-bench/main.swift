print("sfa-rpc-bench: being written")
