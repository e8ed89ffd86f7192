/* span.c: span type names (the span and batch types are in span.h). */
#include "ingest/span.h"
#include <string.h>

static const char *const type_names[SPAN_TYPE_COUNT] = {
	"span", "llm", "tool", "retrieval", "agent", "embedding",
};

const char *span_type_name(int type)
{
	return type >= 0 && type < SPAN_TYPE_COUNT ? type_names[type] : "span";
}

int span_type_from_name(const char *name)
{
	for (int i = 0; i < SPAN_TYPE_COUNT; i++)
		if (strcmp(name, type_names[i]) == 0)
			return i;
	return -1;
}
