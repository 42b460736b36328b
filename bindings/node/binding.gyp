{
  "targets": [
    {
      "target_name": "quire",
      "sources": ["<!@(node tools/build.js gyp sources)"],
      "include_dirs": ["csrc/include", "csrc/core"],
      "defines": ["<!@(node tools/build.js gyp defines)"],
      "libraries": ["<!@(node tools/build.js gyp libraries)"],
      "cflags": ["-std=c11", "-fvisibility=hidden"]
    }
  ]
}
