"""The service layer: each public function opens no transaction itself but runs inside the
one its caller (a route or a command) opened with ``Database.write()``/``read()``, so related
writes and their audit entries commit together."""
