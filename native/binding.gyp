{
  "targets": [
    {
      "target_name": "dialtone_net",
      "sources": ["dialtone_net.c", "hdlc_kernel.c"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
