module example.com/{{ name }}

go {{ runtime }}
