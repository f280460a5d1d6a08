/* The codec's parser and data-file APIs, one include for record, capture and report. */
#ifndef PROFILER_PV_CODEC_H
#define PROFILER_PV_CODEC_H

#include "capture.h"
#include "datafile.h"

#endif
