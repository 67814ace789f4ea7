#!/usr/bin/python3
"""Saves a workbook again with a password, through LibreOffice's UNO API
(Debian's python3-uno): the way a user protects a file with "Save with
password". Usage: encrypt.py in.xlsx out.xlsx password"""
import os, subprocess, sys, time
import uno
from com.sun.star.beans import PropertyValue, NamedValue

def prop(name, value):
    p = PropertyValue(); p.Name = name; p.Value = value; return p

src, dst, password = map(os.path.abspath, sys.argv[1:3]) + [sys.argv[3]] if False else (os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3])
port = 2002 + os.getpid() % 1000
office = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore",
    "-env:UserInstallation=file:///tmp/lo-encrypt-%d" % os.getpid(),
    "--accept=socket,host=127.0.0.1,port=%d;urp;" % port])
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(100):
        try:
            ctx = resolver.resolve("uno:socket,host=127.0.0.1,port=%d;urp;StarOffice.ComponentContext" % port)
            break
        except Exception:
            time.sleep(0.2)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = None
    for _ in range(50):  # the office may still be starting its desktop
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, (prop("Hidden", True), prop("ReadOnly", True)))
        if doc is not None:
            break
        time.sleep(0.2)
    flt = sys.argv[4] if len(sys.argv) > 4 else "Calc MS Excel 2007 XML"
    args = [prop("FilterName", flt)] + ([] if "XML" in flt else [prop("Password", password)])
    if "XML" in flt:
        # The OOXML filter encrypts (ECMA-376 agile encryption) when the
        # descriptor carries the password as "OOXPassword" encryption data.
        nv = NamedValue(); nv.Name = "OOXPassword"; nv.Value = password
        args.append(prop("EncryptionData", uno.Any("[]com.sun.star.beans.NamedValue", (nv,))))
    uno.invoke(doc, "storeToURL", (uno.systemPathToFileUrl(dst), tuple(args)))
    doc.close(True)
finally:
    office.terminate()
    office.wait()
