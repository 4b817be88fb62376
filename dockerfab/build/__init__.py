"""Building images: DockerFile (generated Dockerfiles) and DockerContext (build context tarballs)."""
