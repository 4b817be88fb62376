"""Twin of Docker-Map's ``dockermap.map.state`` package (see docs/migrating.rst); the
names live in their dockerfab modules, the twins below only re-export them."""
