# protoc-c names service stub members after the methods, so Registry.Register
# yields a struct member called `register`, a C keyword. We use only the
# descriptors, never the stubs, so the member is renamed in the generated header.
file(READ ${FILE} content)
string(REPLACE "(*register)" "(*register_)" content "${content}")
file(WRITE ${FILE} "${content}")
